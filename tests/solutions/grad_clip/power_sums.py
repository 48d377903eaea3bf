"""Correct alternative for grad_clip: float64 power sums (or a running max) and copy_ back into each gradient."""

import math

import torch


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    seq = [parameters] if isinstance(parameters, torch.Tensor) else [p for p in parameters]
    grads = [p.grad for p in seq if p.grad is not None]
    p = float(norm_type)
    if p == math.inf:
        total = max((float(g.abs().max()) for g in grads), default=0.0)
    else:
        total = sum(float((g.double().abs() ** p).sum()) for g in grads) ** (1.0 / p)
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for g in grads:
            g.copy_(g.double() * factor)
    dtype = grads[0].dtype if grads else torch.float32
    return torch.tensor(total, dtype=dtype)


def clip_grad_value_(parameters, clip_value):
    seq = [parameters] if isinstance(parameters, torch.Tensor) else parameters
    for p in seq:
        if p.grad is not None:
            p.grad.copy_(p.grad.clamp(-clip_value, clip_value))
