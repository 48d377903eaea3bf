"""A correct attention written another way: einsum, an additive −inf bias, a loop over heads."""

import math

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None):
    if scale is None:
        scale = q.size(-1) ** -0.5
    scores = torch.einsum("...id,...jd->...ij", q, k) * scale
    lq, lk = scores.shape[-2:]
    bias = torch.zeros(lq, lk, dtype=scores.dtype)
    if causal:
        rows = torch.arange(lq)[:, None]
        cols = torch.arange(lk)[None, :]
        bias = bias.masked_fill(cols > rows, -math.inf)
    if mask is not None:
        bias = bias + torch.zeros(mask.shape, dtype=scores.dtype).masked_fill(~mask.bool(), -math.inf)
    return torch.einsum("...ij,...jd->...id", (scores + bias).softmax(-1), v)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, bias=True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError("d_model must be divisible by n_heads")
        self.h, self.dh = n_heads, d_model // n_heads
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d_model, d_model, bias=bias) for _ in range(4))

    def forward(self, x, context=None, mask=None, causal=False):
        src = x if context is None else context
        q, k, v = self.q_proj(x), self.k_proj(src), self.v_proj(src)
        heads = []
        for h in range(self.h):
            part = slice(h * self.dh, (h + 1) * self.dh)
            m = None if mask is None else torch.broadcast_to(mask, (x.shape[0], self.h, x.shape[1], src.shape[1]))[:, h]
            heads.append(scaled_dot_product_attention(q[..., part], k[..., part], v[..., part], mask=m, causal=causal))
        return self.o_proj(torch.cat(heads, dim=-1))
