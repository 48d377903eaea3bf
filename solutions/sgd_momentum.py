"""Reference solution for the `sgd_momentum` exercise: SGD with momentum, dampening, Nesterov and weight decay."""

import torch


class SGD:
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError("lr, momentum and weight_decay must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.params = list(params)
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buffers = [None] * len(self.params)

    @torch.no_grad()
    def step(self, grads=None):
        grads = [p.grad for p in self.params] if grads is None else list(grads)
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                continue
            d_p = g + self.weight_decay * p if self.weight_decay else g  # L2 decay enters before the momentum
            if self.momentum:
                buf = self.buffers[i]
                if buf is None:
                    buf = d_p.clone()  # first step: the buffer is the gradient itself, not dampened
                else:
                    buf.mul_(self.momentum).add_(d_p, alpha=1 - self.dampening)
                self.buffers[i] = buf
                d_p = d_p + self.momentum * buf if self.nesterov else buf  # Nesterov: look ahead along the buffer
            p.add_(d_p, alpha=-self.lr)

    def zero_grad(self):
        for p in self.params:
            p.grad = None
