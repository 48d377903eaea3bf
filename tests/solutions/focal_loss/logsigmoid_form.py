"""A correct focal loss from log-sigmoid terms: log p = logsigmoid(z), log(1 − p) = logsigmoid(−z)."""

import torch
import torch.nn.functional as F


def _reduce(x, reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    return x.mean() if reduction == "mean" else x.sum() if reduction == "sum" else x


def binary_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="mean"):
    t = targets.to(logits.dtype)
    log_p_t = t * F.logsigmoid(logits) + (1 - t) * F.logsigmoid(-logits)
    weight = (1 - log_p_t.exp()) ** gamma
    if alpha is not None:
        weight = weight * torch.where(t > 0.5, torch.full_like(t, alpha), torch.full_like(t, 1 - alpha))
    return _reduce(-weight * log_p_t, reduction)


def focal_loss(logits, targets, alpha=None, gamma=2.0, reduction="mean"):
    idx = targets.long()
    log_p_t = logits.log_softmax(-1)[torch.arange(logits.shape[0]), idx]
    loss = -(1 - log_p_t.exp()).pow(gamma) * log_p_t
    if alpha is not None:
        w = alpha if torch.is_tensor(alpha) else torch.tensor(alpha, dtype=torch.float32)  # a list as float32: allowed
        loss = loss * w[idx].to(logits.dtype)
    return _reduce(loss, reduction)
