"""Reference solution for the `label_smoothing` exercise: cross-entropy with label smoothing, as torch defines it."""

import torch

_REDUCTIONS = ("mean", "sum", "none")


def smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100, reduction="mean"):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"smoothing must lie in [0, 1], got {smoothing}")
    log_p = torch.log_softmax(logits, dim=1)  # classes are on axis 1, for (N, C) and for (N, C, d1, ...)
    keep = target != ignore_index
    safe = torch.where(keep, target, torch.zeros_like(target))
    nll = -log_p.gather(1, safe.unsqueeze(1)).squeeze(1)
    # target distribution (1 − ε)·one_hot + ε/K: the ε is spread over all K classes, the true one included
    uniform = -log_p.mean(dim=1)
    per_item = (1 - smoothing) * nll + smoothing * uniform
    loss = torch.where(keep, per_item, torch.zeros_like(per_item))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / keep.sum()  # nan when every item is ignored, as torch
