"""Causal mask off by one: the diagonal is masked, so token 0 attends to nothing (NaN)."""

import math

import torch
from torch import nn


def grouped_query_attention(q, k, v, causal=False):
    """q: (B, Hq, Lq, d); k, v: (B, Hkv, Lk, d). Query head h reads kv head h // (Hq // Hkv)."""
    n_heads, n_kv_heads = q.shape[1], k.shape[1]
    if n_kv_heads == 0 or n_heads % n_kv_heads != 0:
        raise ValueError(f"n_heads={n_heads} is not a multiple of n_kv_heads={n_kv_heads}")
    group = n_heads // n_kv_heads
    # kv head j serves query heads j*group ... j*group + group - 1
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        lq, lk = scores.shape[-2:]
        keep = torch.ones(lq, lk, dtype=torch.bool, device=q.device).tril(-1)
        scores = scores.masked_fill(~keep, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, bias=True):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        if n_kv_heads <= 0 or n_heads % n_kv_heads != 0:
            raise ValueError(f"n_heads={n_heads} is not a multiple of n_kv_heads={n_kv_heads}")
        self.d_model, self.n_heads, self.n_kv_heads = d_model, n_heads, n_kv_heads
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.d_head, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.d_head, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.d_head, bias=bias)
        self.o_proj = nn.Linear(n_heads * self.d_head, d_model, bias=bias)

    def forward(self, x, causal=False):
        b, n, _ = x.shape
        q = self.q_proj(x).view(b, n, self.n_heads, self.d_head).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.n_kv_heads, self.d_head).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.n_kv_heads, self.d_head).transpose(1, 2)
        out = grouped_query_attention(q, k, v, causal=causal)  # (B, H, L, d_head)
        return self.o_proj(out.transpose(1, 2).reshape(b, n, self.n_heads * self.d_head))
