"""Stable softmax and cross-entropy with its gradient, in NumPy (no torch, no scipy)."""

import numpy as np


def softmax(z, axis=-1):
    """Softmax of ``z`` along ``axis``.

    z: float array of any shape (float32 or float64); may be a non-contiguous view; must not be modified.
    Returns an array of the same shape and dtype whose slices along ``axis`` sum to 1.
    Must stay finite for logits of magnitude 1e4.
    """
    raise NotImplementedError


def cross_entropy(logits, labels, ignore_index=-100, reduction="mean"):
    """Cross-entropy of integer labels and its gradient, like torch.nn.functional.cross_entropy.

    logits: (N, C) float array (float32 or float64), not modified.
    labels: (N,) int array; each entry in [0, C) or equal to ``ignore_index`` (that row is skipped).
    reduction: "mean" (over the rows that are not ignored) or "sum"; anything else raises ValueError.
    Returns (loss, grad): loss a float; grad = d loss / d logits, shape (N, C), dtype of logits.
    A label outside [0, C) that is not ignore_index raises ValueError.
    """
    raise NotImplementedError
