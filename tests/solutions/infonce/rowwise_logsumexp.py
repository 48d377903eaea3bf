"""Correct alternative for infonce: cosines by explicit division, both directions with logsumexp, float64 inside."""

import torch


def clip_loss(image_features, text_features, temperature=0.07, logit_scale=None):
    if image_features.shape != text_features.shape or image_features.ndim != 2:
        raise ValueError("shapes differ")
    if logit_scale is None and not temperature > 0:
        raise ValueError("temperature must be positive")
    a = image_features.double()
    b = text_features.double()
    a = a / torch.sqrt((a * a).sum(dim=1, keepdim=True))
    b = b / torch.sqrt((b * b).sum(dim=1, keepdim=True))
    sim = a @ b.T
    sim = sim * torch.exp(logit_scale.double()) if logit_scale is not None else sim / temperature
    right = torch.diagonal(sim)
    rows = torch.logsumexp(sim, dim=1) - right
    cols = torch.logsumexp(sim, dim=0) - right
    return ((rows.mean() + cols.mean()) * 0.5).to(image_features.dtype)
