"""Reference solution for the `infonce` exercise: the symmetric InfoNCE (CLIP) loss with a temperature or a logit scale."""

import torch
import torch.nn.functional as F


def clip_loss(image_features, text_features, temperature=0.07, logit_scale=None):
    if image_features.shape != text_features.shape or image_features.dim() != 2:
        raise ValueError("expected two (N, D) feature matrices of the same shape")
    if logit_scale is None and temperature <= 0:
        raise ValueError("temperature must be > 0")
    img = F.normalize(image_features, dim=-1)  # cosine similarity: unit vectors along the feature axis
    txt = F.normalize(text_features, dim=-1)
    scale = logit_scale.exp() if logit_scale is not None else 1.0 / temperature  # CLIP learns log(1/τ)
    logits = scale * img @ txt.T  # (N, N): row i = image i against every text; the pairs are on the diagonal
    labels = torch.arange(len(logits), device=logits.device)
    image_to_text = F.cross_entropy(logits, labels)
    text_to_image = F.cross_entropy(logits.T, labels)
    return (image_to_text + text_to_image) / 2
