"""Correct alternative for label_smoothing: build the smoothed target distribution and take −Σ q·log p, float64 inside."""

import torch


def smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100, reduction="mean"):
    if reduction not in ("mean", "sum", "none") or not 0 <= smoothing <= 1:
        raise ValueError("bad reduction or smoothing")
    z = logits.double().movedim(1, -1)                  # (..., C)
    k = z.shape[-1]
    valid = target != ignore_index
    q = torch.full_like(z, smoothing / k)
    q[valid] += (1 - smoothing) * torch.nn.functional.one_hot(target[valid], k).double()
    log_p = z - torch.logsumexp(z, dim=-1, keepdim=True)
    per = -(q * log_p).sum(dim=-1) * valid
    if reduction == "none":
        out = per
    elif reduction == "sum":
        out = per.sum()
    else:
        out = per.sum() / valid.sum()
    return out.to(logits.dtype)
