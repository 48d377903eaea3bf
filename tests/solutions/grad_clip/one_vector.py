"""Correct alternative for grad_clip: concatenate every gradient into one vector and take its norm."""

import math

import torch


def _with_grads(parameters):
    items = [parameters] if torch.is_tensor(parameters) else list(parameters)
    return [p for p in items if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    ps = _with_grads(parameters)
    if not ps:
        return torch.zeros(())
    with torch.no_grad():
        flat = torch.cat([p.grad.reshape(-1) for p in ps])
        total = torch.linalg.vector_norm(flat, ord=float(norm_type))
        scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for p in ps:
            p.grad.mul_(scale)
    return total


def clip_grad_value_(parameters, clip_value):
    with torch.no_grad():
        for p in _with_grads(parameters):
            torch.clamp(p.grad, min=-clip_value, max=clip_value, out=p.grad)
    return None
