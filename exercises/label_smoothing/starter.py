"""Cross-entropy with label smoothing, equal to torch.nn.functional.cross_entropy(..., label_smoothing=ε)."""

import torch


def smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100, reduction="mean"):
    """Label-smoothed cross-entropy of integer targets.

    logits: (N, C) or (N, C, d1, d2, ...) float tensor (float32 or float64); classes on axis 1.
    target: (N,) or (N, d1, d2, ...) int64 class indices in [0, C), or ignore_index (that item is skipped).
    smoothing: ε in [0, 1]; the target distribution is (1 − ε)·one_hot + ε/C. Outside [0, 1]: ValueError.
    reduction: "mean" (over the items that are not ignored), "sum", or "none" (shape of target, 0 where
    ignored); anything else raises ValueError.
    Returns a tensor in the dtype of logits, differentiable with autograd.
    """
    raise NotImplementedError
