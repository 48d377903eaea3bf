"""Reference solution for the `grad_clip` exercise: clip_grad_norm_ and clip_grad_value_ by hand."""

import math

import torch


def _params(parameters):
    # a list: `parameters` may be a single tensor or a one-shot generator such as model.parameters()
    return [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)


@torch.no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    parameters = _params(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = torch.stack([g.abs().max() for g in grads]).max()
    else:
        # one norm over all gradients together = the norm of the per-tensor norms
        total = torch.stack([g.norm(norm_type) for g in grads]).norm(norm_type)
    coef = max_norm / (total + 1e-6)  # the eps keeps a zero norm from dividing by zero
    if coef < 1:  # only ever scale down
        for g in grads:
            g.mul_(coef)  # in place: the caller's gradient tensors
    return total


@torch.no_grad()
def clip_grad_value_(parameters, clip_value):
    for p in _params(parameters):
        if p.grad is not None:
            p.grad.clamp_(-clip_value, clip_value)
