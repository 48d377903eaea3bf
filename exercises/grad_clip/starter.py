"""Gradient clipping by hand: clip_grad_norm_ and clip_grad_value_ (torch.nn.utils semantics), in place."""

import math

import torch


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale all gradients together so that their total norm is at most max_norm.

    parameters: a tensor, or an iterable of tensors (possibly a one-shot generator); tensors whose .grad is None
        are skipped.
    total = the norm_type-norm of all gradients taken as one vector (norm_type may be math.inf: the largest |g|).
    If max_norm / (total + 1e-6) < 1, every gradient is multiplied IN PLACE by that coefficient; otherwise
    nothing changes.
    Returns the total norm BEFORE clipping, as a tensor (torch.tensor(0.) when there are no gradients).
    """
    raise NotImplementedError


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [−clip_value, clip_value], in place. Returns None."""
    raise NotImplementedError
