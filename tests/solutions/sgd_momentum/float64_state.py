"""Correct alternative for sgd_momentum: float64 state keyed by parameter index, the result copied back with copy_."""

import torch


class SGD:
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if min(lr, momentum, weight_decay) < 0:
            raise ValueError("negative hyper-parameter")
        if nesterov and not (momentum > 0 and dampening == 0):
            raise ValueError("bad Nesterov settings")
        self.params = list(params)
        self.lr, self.mu, self.tau, self.wd, self.nesterov = lr, momentum, dampening, weight_decay, nesterov
        self.state = {}

    def step(self, grads=None):
        with torch.no_grad():
            for i, p in enumerate(self.params):
                g = p.grad if grads is None else grads[i]
                if g is None:
                    continue
                g = g.double() + self.wd * p.double()
                if self.mu > 0:
                    v = self.state.get(i)
                    v = g.clone() if v is None else self.mu * v + (1 - self.tau) * g
                    self.state[i] = v
                    g = g + self.mu * v if self.nesterov else v
                p.copy_(p.double() - self.lr * g)

    def zero_grad(self):
        for p in self.params:
            p.grad = None
