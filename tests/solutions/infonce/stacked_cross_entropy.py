"""Correct alternative for infonce: one cross-entropy call over both directions stacked (2N rows)."""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, temperature=0.07, logit_scale=None):
    if image_features.shape != text_features.shape:
        raise ValueError("image and text features must have the same shape")
    if logit_scale is None:
        if temperature <= 0:
            raise ValueError("temperature <= 0")
        factor = 1.0 / temperature
    else:
        factor = torch.exp(logit_scale)
    u = image_features / image_features.norm(dim=1, keepdim=True)
    v = text_features / text_features.norm(dim=1, keepdim=True)
    logits = factor * torch.einsum("id,jd->ij", u, v)
    n = logits.shape[0]
    targets = torch.arange(n).repeat(2)
    return F.cross_entropy(torch.cat([logits, logits.T]), targets)
