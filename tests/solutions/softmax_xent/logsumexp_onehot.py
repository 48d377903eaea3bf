"""Correct alternative for softmax_xent: log-sum-exp with a one-hot matrix and a weight per row."""

import numpy as np


def softmax(z, axis=-1):
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return np.exp(z - lse)


def cross_entropy(logits, labels, ignore_index=-100, reduction="mean"):
    z = np.asarray(logits)
    labels = np.asarray(labels).astype(np.int64)
    c = z.shape[1]
    valid = labels != ignore_index
    if ((labels < 0) | (labels >= c))[valid].any():
        raise ValueError("label out of range")
    if reduction == "mean":
        weight = valid / valid.sum() if valid.any() else np.zeros(len(labels))
    elif reduction == "sum":
        weight = valid.astype(np.float64)
    else:
        raise ValueError(f"unknown reduction {reduction!r}")
    onehot = np.zeros(z.shape)
    onehot[valid, labels[valid]] = 1.0
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    per_row = (lse[:, 0] - (onehot * z).sum(axis=1)) * valid
    loss = float(np.dot(per_row, weight))
    if reduction == "mean" and not valid.any():
        loss = float("nan")
    grad = (np.exp(z - lse) - onehot) * weight[:, None]
    return loss, grad.astype(z.dtype)
