"""A correct focal loss with one-hot targets and logsumexp, float64 inside, cast back at the end."""

import torch


def _reduce(x, reduction):
    table = {"mean": torch.mean, "sum": torch.sum, "none": lambda v: v}
    if reduction not in table:
        raise ValueError(f"unknown reduction {reduction!r}")
    return table[reduction](x)


def binary_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="mean"):
    z = logits.double()
    t = targets.double()
    # −log p_t = log(1 + e^z) − t·z, written with logaddexp for stability
    nll = torch.logaddexp(torch.zeros_like(z), z) - t * z
    p_t = torch.exp(-nll)
    loss = (1 - p_t) ** gamma * nll
    if alpha is not None:
        loss = (t * alpha + (1 - t) * (1 - alpha)) * loss
    return _reduce(loss, reduction).to(logits.dtype)


def focal_loss(logits, targets, alpha=None, gamma=2.0, reduction="mean"):
    z = logits.double()
    one_hot = torch.nn.functional.one_hot(targets.long(), z.shape[1]).double()
    log_p_t = (z * one_hot).sum(1) - torch.logsumexp(z, dim=1)
    loss = -((1 - log_p_t.exp()) ** gamma) * log_p_t
    if alpha is not None:
        loss = (one_hot @ torch.as_tensor(alpha).double()) * loss
    return _reduce(loss, reduction).to(logits.dtype)
