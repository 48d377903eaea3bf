"""Grouped-query attention (GQA): several query heads share one key/value head.

n_kv_heads == n_heads is ordinary multi-head attention; n_kv_heads == 1 is multi-query attention (MQA).
Not allowed: torch.nn.functional.scaled_dot_product_attention, torch.nn.MultiheadAttention.
"""

import math

import torch
from torch import nn


def grouped_query_attention(q, k, v, causal=False):
    """Attention where query heads share key/value heads.

    q: (B, n_heads, Lq, d_head)   k, v: (B, n_kv_heads, Lk, d_head)
    With g = n_heads // n_kv_heads, kv head j serves query heads j*g, j*g+1, ..., j*g+g-1
    (query head h uses kv head h // g).
    Scores are scaled by 1/sqrt(d_head). causal: query i sees keys j <= i (top-left aligned).
    Raise ValueError if n_heads is not a multiple of n_kv_heads.
    Returns (B, n_heads, Lq, d_head), dtype of q; differentiable.
    """
    raise NotImplementedError


class GroupedQueryAttention(nn.Module):
    """Self-attention with n_heads query heads and n_kv_heads key/value heads.

    d_head = d_model // n_heads. Layers (the tests overwrite their weights; y = x Wᵀ + b):
      q_proj = nn.Linear(d_model, n_heads * d_head, bias=bias)
      k_proj = nn.Linear(d_model, n_kv_heads * d_head, bias=bias)
      v_proj = nn.Linear(d_model, n_kv_heads * d_head, bias=bias)
      o_proj = nn.Linear(n_heads * d_head, d_model, bias=bias)
    Head h (query or kv) uses features [h*d_head, (h+1)*d_head) of its projection; the heads'
    outputs are concatenated in head order before o_proj.
    Raise ValueError if d_model % n_heads != 0 or n_heads % n_kv_heads != 0.
    """

    def __init__(self, d_model, n_heads, n_kv_heads, bias=True):
        super().__init__()
        raise NotImplementedError

    def forward(self, x, causal=False):
        """x: (B, L, d_model) -> (B, L, d_model)."""
        raise NotImplementedError
