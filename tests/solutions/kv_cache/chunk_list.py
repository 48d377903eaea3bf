"""Correct alternative for kv_cache: the cache keeps a list of chunks; attention in float64 with a triu mask."""

import math

import torch
from torch import nn


class KVCache:
    def __init__(self):
        self.chunks = []

    @property
    def seq_len(self):
        return sum(k.shape[-2] for k, _ in self.chunks)

    @property
    def k(self):
        return torch.cat([k for k, _ in self.chunks], dim=-2) if self.chunks else None

    @property
    def v(self):
        return torch.cat([v for _, v in self.chunks], dim=-2) if self.chunks else None

    def update(self, k, v):
        self.chunks.append((k, v))
        return self.k, self.v


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, base=10000.0):
        super().__init__()
        d_head, rest = divmod(d_model, n_heads)
        if rest or d_head % 2:
            raise ValueError(f"cannot use {n_heads} RoPE heads on d_model={d_model}")
        self.n_heads, self.d_head, self.base = n_heads, d_head, base
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            setattr(self, name, nn.Linear(d_model, d_model, bias=False))

    def rotate(self, t, offset):
        d = self.d_head
        theta = torch.tensor([self.base ** (-2 * i / d) for i in range(d // 2)], dtype=torch.float64)
        ang = (offset + torch.arange(t.shape[2], dtype=torch.float64)).unsqueeze(-1) * theta
        c, s = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
        rotated_half = torch.cat([-t[..., d // 2:], t[..., : d // 2]], -1)
        return (t.double() * c + rotated_half.double() * s).to(t.dtype)

    def forward(self, x, cache=None):
        b, n, dm = x.shape
        offset = cache.seq_len if cache else 0

        def split(t):
            return t.view(b, n, self.n_heads, self.d_head).transpose(1, 2)

        q = self.rotate(split(self.q_proj(x)), offset)
        k = self.rotate(split(self.k_proj(x)), offset)
        v = split(self.v_proj(x))
        if cache is not None:
            k, v = cache.update(k, v)
        total = k.shape[2]
        scores = torch.matmul(q.double(), k.double().transpose(2, 3)) / math.sqrt(self.d_head)
        future = torch.ones(n, total, dtype=torch.bool).triu(offset + 1)
        weights = scores.masked_fill(future, float("-inf")).softmax(-1)
        out = torch.matmul(weights, v.double()).to(x.dtype)
        return self.o_proj(out.transpose(1, 2).reshape(b, n, dm))
