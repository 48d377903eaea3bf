"""Focal loss (Lin et al., 2017) from logits: binary (sigmoid) and multi-class (softmax) versions.

    FL(p_t) = −α_t · (1 − p_t)^γ · log(p_t)

p_t is the predicted probability of the TRUE class. Both functions must be numerically stable
(logits of ±100 give finite losses and gradients) and differentiable with autograd.
"""

import torch
import torch.nn.functional as F


def binary_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="mean"):
    """Sigmoid focal loss.

    logits: float tensor of any shape (raw scores, NOT probabilities).
    targets: same shape, values 0 or 1 (float or int).
    alpha: weight of the positive class; negatives get 1 − alpha. None = no weighting.
    gamma: focusing parameter >= 0 (gamma = 0 and alpha = None is plain binary cross-entropy).
    reduction: "mean" (over all elements), "sum" or "none" (same shape as logits).
    Returns a tensor in the dtype of logits.
    """
    raise NotImplementedError


def focal_loss(logits, targets, alpha=None, gamma=2.0, reduction="mean"):
    """Softmax (multi-class) focal loss.

    logits: (N, C) float tensor.  targets: (N,) int64 class indices in [0, C).
    alpha: None, or a sequence / tensor of C per-class weights (sample i is weighted by alpha[targets[i]]).
    reduction: "mean" (plain mean over the N samples), "sum" or "none" (shape (N,)).
    Returns a tensor in the dtype of logits.
    """
    raise NotImplementedError
