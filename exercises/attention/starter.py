"""Scaled dot-product attention and multi-head attention by hand.

Not allowed: torch.nn.functional.scaled_dot_product_attention, torch.nn.MultiheadAttention.
"""

import math

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q @ kᵀ * scale, masked) @ v.

    q: (..., Lq, d)   k: (..., Lk, d)   v: (..., Lk, dv)   — any number of leading batch dims.
    mask: optional bool tensor broadcastable to (..., Lq, Lk); True = this query may attend to this key.
    causal: if True, query i may only attend to keys j <= i (top-left aligned, combined with mask).
    scale: multiplier of the scores; None means 1 / sqrt(d).
    Every query keeps at least one key in the tests.
    Returns (..., Lq, dv), same dtype as q; differentiable.
    """
    raise NotImplementedError


class MultiHeadAttention(nn.Module):
    """Multi-head attention with four nn.Linear(d_model, d_model, bias=bias) layers:
    q_proj, k_proj, v_proj, o_proj (the tests overwrite their weights).

    Head h uses features [h*d_head, (h+1)*d_head) of the projected q, k and v, where
    d_head = d_model // n_heads; the heads' outputs are concatenated in head order before o_proj.
    Raise ValueError if d_model is not divisible by n_heads.
    """

    def __init__(self, d_model, n_heads, bias=True):
        super().__init__()
        raise NotImplementedError

    def forward(self, x, context=None, mask=None, causal=False):
        """x: (B, Lq, d_model). context: (B, Lk, d_model) for cross-attention (None = self-attention).
        mask: bool, broadcastable to (B, n_heads, Lq, Lk), True = keep. Returns (B, Lq, d_model)."""
        raise NotImplementedError
