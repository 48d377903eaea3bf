"""Correct alternative for label_smoothing: flatten to (items, C), a Python loop over the counted items."""

import torch


def smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    if smoothing < 0 or smoothing > 1:
        raise ValueError("smoothing must be in [0, 1]")
    c = logits.shape[1]
    flat = logits.movedim(1, -1).reshape(-1, c)
    labels = target.reshape(-1).tolist()
    losses = []
    for row, y in zip(flat, labels):
        if y == ignore_index:
            losses.append(row.sum() * 0)
            continue
        log_p = torch.log_softmax(row, dim=0)
        losses.append(-(1 - smoothing) * log_p[y] - smoothing * log_p.sum() / c)
    per = torch.stack(losses).reshape(target.shape)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    counted = sum(y != ignore_index for y in labels)
    return per.sum() / counted if counted else per.sum() * float("nan")
