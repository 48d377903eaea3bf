"""Reference solution for the `kv_cache` exercise: causal self-attention with RoPE that decodes through a KV cache."""

import math

import torch
from torch import nn


class KVCache:
    """Keys (after RoPE) and values of every position seen so far, each (B, H, T, d_head)."""

    def __init__(self):
        self.k = None
        self.v = None

    @property
    def seq_len(self):
        return 0 if self.k is None else self.k.shape[2]

    def update(self, k, v):
        """Append (B, H, L, d_head) keys and values; return all of them, (B, H, T + L, d_head)."""
        if self.k is not None:
            k = torch.cat([self.k, k], dim=2)
            v = torch.cat([self.v, v], dim=2)
        self.k, self.v = k, v
        return k, v


def rotate(x, start, base):
    """Half-split RoPE on x: (B, H, L, d) at positions start .. start + L - 1."""
    d = x.shape[-1]
    inv_freq = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.arange(start, start + x.shape[-2], dtype=torch.float64)[:, None] * inv_freq
    cos, sin = angles.cos().to(x), angles.sin().to(x)
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, base=10000.0):
        super().__init__()
        if d_model % n_heads or (d_model // n_heads) % 2:
            raise ValueError(f"d_model={d_model} must split into n_heads={n_heads} heads of even size")
        self.d_model, self.n_heads, self.d_head, self.base = d_model, n_heads, d_model // n_heads, base
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)

    def _heads(self, t):
        b, n, _ = t.shape
        return t.view(b, n, self.n_heads, self.d_head).transpose(1, 2)

    def forward(self, x, cache=None):
        b, n, _ = x.shape
        start = 0 if cache is None else cache.seq_len
        q, k, v = self._heads(self.q_proj(x)), self._heads(self.k_proj(x)), self._heads(self.v_proj(x))
        q, k = rotate(q, start, self.base), rotate(k, start, self.base)
        if cache is not None:
            k, v = cache.update(k, v)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        q_pos = torch.arange(start, start + n, device=x.device)
        k_pos = torch.arange(k.shape[2], device=x.device)
        scores = scores.masked_fill(k_pos[None, :] > q_pos[:, None], float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, n, self.d_model))
