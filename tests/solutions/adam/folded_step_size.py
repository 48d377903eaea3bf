"""A correct Adam using the folded step size lr·√(1−β2^t)/(1−β1^t) and eps scaled to match (algebraically equal)."""

import math

import torch


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.wd, self.decoupled = weight_decay, decoupled
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = [0 for _ in self.params]

    @torch.no_grad()
    def step(self, grads=None):
        grads = [p.grad for p in self.params] if grads is None else grads
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                continue
            if self.wd and self.decoupled:
                p.mul_(1 - self.lr * self.wd)
            elif self.wd:
                g = g.add(p, alpha=self.wd)
            self.steps[i] += 1
            t = self.steps[i]
            self.exp_avg[i].lerp_(g, 1 - self.b1)
            self.exp_avg_sq[i].mul_(self.b2).add_(g * g * (1 - self.b2))
            c1, c2 = 1 - self.b1 ** t, 1 - self.b2 ** t
            # m̂/(√v̂ + eps) = (m/c1) / (√v/√c2 + eps) = (√c2/c1) · m / (√v + eps·√c2)
            denom = self.exp_avg_sq[i].sqrt().add_(self.eps * math.sqrt(c2))
            p.addcdiv_(self.exp_avg[i], denom, value=-self.lr * math.sqrt(c2) / c1)

    def zero_grad(self):
        for p in self.params:
            p.grad = None
