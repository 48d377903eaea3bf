"""Reference solution for the `softmax_xent` exercise: stable softmax and cross-entropy with its gradient, in NumPy."""

import numpy as np

_REDUCTIONS = ("mean", "sum")


def _shift(z, axis):
    # softmax(z) == softmax(z − c) for any c: subtracting the max keeps exp() from overflowing
    return z - z.max(axis=axis, keepdims=True)


def softmax(z, axis=-1):
    z = np.asarray(z)
    e = np.exp(_shift(z, axis))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z, axis):
    s = _shift(z, axis)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def cross_entropy(logits, labels, ignore_index=-100, reduction="mean"):
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"expected logits (N, C) and labels (N,), got {logits.shape} and {labels.shape}")
    n, c = logits.shape
    keep = labels != ignore_index
    if np.any((labels[keep] < 0) | (labels[keep] >= c)):
        raise ValueError(f"labels must lie in [0, {c}) or equal ignore_index={ignore_index}")
    rows = np.arange(n)
    safe = np.where(keep, labels, 0)
    log_p = _log_softmax(logits, axis=1)
    loss = -np.sum(log_p[rows, safe] * keep)
    grad = np.exp(log_p)
    grad[rows, safe] -= 1.0
    grad = grad * keep[:, None]
    if reduction == "mean":
        count = int(keep.sum())
        loss = loss / count if count else np.nan  # 0/0, as torch: every row ignored
        grad = grad / max(count, 1)
    return float(loss), grad.astype(logits.dtype, copy=False)
