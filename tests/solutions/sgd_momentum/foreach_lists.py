"""Correct alternative for sgd_momentum: gather the parameters that have gradients, then update them list-wise."""

import torch


class SGD:
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError("lr, momentum, weight_decay must be non-negative")
        if nesterov and (momentum == 0 or dampening != 0):
            raise ValueError("Nesterov requires momentum and no dampening")
        self.params = list(params)
        self.lr = lr
        self.settings = (momentum, dampening, weight_decay, nesterov)
        self.velocity = [None for _ in self.params]

    @torch.no_grad()
    def step(self, grads=None):
        momentum, dampening, weight_decay, nesterov = self.settings
        given = [p.grad for p in self.params] if grads is None else grads
        active = [i for i, g in enumerate(given) if g is not None]
        updates = [torch.add(given[i], self.params[i], alpha=weight_decay) for i in active]
        if momentum != 0:
            for k, i in enumerate(active):
                if self.velocity[i] is None:
                    self.velocity[i] = torch.clone(updates[k]).detach()
                else:
                    self.velocity[i].mul_(momentum).add_(updates[k], alpha=1 - dampening)
                updates[k] = updates[k].add(self.velocity[i], alpha=momentum) if nesterov else self.velocity[i]
        for k, i in enumerate(active):
            self.params[i].add_(updates[k], alpha=-self.lr)

    def zero_grad(self):
        for p in self.params:
            p.grad = None
