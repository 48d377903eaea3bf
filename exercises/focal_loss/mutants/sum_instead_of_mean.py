"""Reduction 'mean' returns the sum."""

import torch
import torch.nn.functional as F

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.sum()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def binary_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="mean"):
    targets = targets.to(logits.dtype)
    # −log p_t computed from the logits, stable for any magnitude: softplus(z) − z·t
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = (1 - p_t) ** gamma * ce
    if alpha is not None:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return _reduce(loss, reduction)


def focal_loss(logits, targets, alpha=None, gamma=2.0, reduction="mean"):
    log_p = F.log_softmax(logits, dim=1)                           # (N, C), stable
    log_p_t = log_p.gather(1, targets.long().unsqueeze(1)).squeeze(1)  # (N,)
    p_t = log_p_t.exp()
    loss = -((1 - p_t) ** gamma) * log_p_t
    if alpha is not None:
        alpha = torch.as_tensor(alpha, dtype=logits.dtype, device=logits.device)
        loss = alpha[targets.long()] * loss
    return _reduce(loss, reduction)
