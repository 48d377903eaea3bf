"""Heads split with a bare view(B, H, L, d_head): positions and features get mixed."""

import math

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q kᵀ · scale + masks) v over the last two dims; leading dims are batch dims."""
    d = q.shape[-1]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale  # (..., Lq, Lk)
    keep = None
    if mask is not None:
        keep = mask.to(torch.bool)
    if causal:
        lq, lk = scores.shape[-2], scores.shape[-1]
        tri = torch.ones(lq, lk, dtype=torch.bool, device=scores.device).tril()
        keep = tri if keep is None else keep & tri
    if keep is not None:
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return torch.matmul(weights, v)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, bias=True):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.d_model = d_model
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.o_proj = nn.Linear(d_model, d_model, bias=bias)

    def _split(self, x):
        b, n, _ = x.shape
        return x.reshape(b, self.n_heads, n, self.d_head)

    def forward(self, x, context=None, mask=None, causal=False):
        context = x if context is None else context
        q = self._split(self.q_proj(x))
        k = self._split(self.k_proj(context))
        v = self._split(self.v_proj(context))
        out = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)  # (B, H, Lq, d_head)
        b, _, lq, _ = out.shape
        out = out.reshape(b, lq, self.d_model)
        return self.o_proj(out)
