"""The symmetric InfoNCE loss of CLIP: N (image, text) pairs, each image against every text and vice versa."""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, temperature=0.07, logit_scale=None):
    """image_features, text_features: (N, D) float tensors (not normalised); row i of each is a matching pair.

    Similarities are cosines (normalise each row), divided by `temperature` — or, when `logit_scale` (a 0-d tensor,
    the learned log of 1/τ as in CLIP) is given, multiplied by exp(logit_scale) and `temperature` is ignored.
    Loss = mean of the image→text and text→image cross-entropies, the matching pair being the right class.
    Returns a 0-d tensor, differentiable w.r.t. both feature matrices and logit_scale.
    Different shapes, or temperature <= 0 without a logit_scale → ValueError.
    """
    raise NotImplementedError
