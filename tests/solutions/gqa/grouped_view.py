"""A correct GQA without expanding k and v: queries reshaped into (B, Hkv, g, L, d) groups that broadcast."""

import math

import torch
from torch import nn


def grouped_query_attention(q, k, v, causal=False):
    B, H, Lq, d = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    if Hkv < 1 or H % Hkv:
        raise ValueError("n_heads must be a multiple of n_kv_heads")
    qg = q.reshape(B, Hkv, H // Hkv, Lq, d)                       # query head h = j*g + i -> group j, slot i
    s = torch.einsum("bjiqd,bjkd->bjiqk", qg, k) / math.sqrt(d)
    if causal:
        s = s.masked_fill(torch.arange(Lk)[None, :] > torch.arange(Lq)[:, None], -math.inf)
    out = torch.einsum("bjiqk,bjkd->bjiqd", s.softmax(-1), v)
    return out.reshape(B, H, Lq, d)


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, bias=True):
        super().__init__()
        if d_model % n_heads or n_kv_heads < 1 or n_heads % n_kv_heads:
            raise ValueError("bad head counts")
        self.h, self.hkv, self.dh = n_heads, n_kv_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.dh, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.dh, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.dh, bias=bias)
        self.o_proj = nn.Linear(n_heads * self.dh, d_model, bias=bias)

    def forward(self, x, causal=False):
        B, L, _ = x.shape
        q = self.q_proj(x).view(B, L, self.h, self.dh).transpose(1, 2)
        k = self.k_proj(x).view(B, L, self.hkv, self.dh).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.hkv, self.dh).transpose(1, 2)
        o = grouped_query_attention(q, k, v, causal)
        return self.o_proj(o.transpose(1, 2).reshape(B, L, self.h * self.dh))
