"""A correct Adam/AdamW keeping per-parameter state in dicts keyed by position, out-of-place maths, copy_ back."""

import torch


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        self.params = list(params)
        self.hyper = dict(lr=lr, b1=betas[0], b2=betas[1], eps=eps, wd=weight_decay, decoupled=decoupled)
        self.state = {}

    def step(self, grads=None):
        h = self.hyper
        grads = [p.grad for p in self.params] if grads is None else list(grads)
        with torch.no_grad():
            for i, p in enumerate(self.params):
                grad = grads[i]
                if grad is None:
                    continue
                st = self.state.setdefault(i, {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
                if h["wd"] != 0 and not h["decoupled"]:
                    grad = grad + h["wd"] * p
                st["step"] += 1
                st["m"] = h["b1"] * st["m"] + (1 - h["b1"]) * grad
                st["v"] = h["b2"] * st["v"] + (1 - h["b2"]) * grad * grad
                m_hat = st["m"] / (1 - h["b1"] ** st["step"])
                v_hat = st["v"] / (1 - h["b2"] ** st["step"])
                new = p * (1 - h["lr"] * h["wd"]) if h["decoupled"] else p
                p.copy_(new - h["lr"] * m_hat / (torch.sqrt(v_hat) + h["eps"]))

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()
