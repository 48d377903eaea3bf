"""Reference solution for the `mla` exercise: simplified multi-head latent attention (DeepSeek-V2 style)."""

import math

import torch
from torch import nn


class MLACache:
    """What MLA caches per token: the latent c_kv (B, T, d_latent) and the shared RoPE key k_rope (B, T, d_rope)."""

    def __init__(self):
        self.c_kv = None
        self.k_rope = None

    @property
    def seq_len(self):
        return 0 if self.c_kv is None else self.c_kv.shape[1]

    def update(self, c_kv, k_rope):
        if self.c_kv is not None:
            c_kv = torch.cat([self.c_kv, c_kv], dim=1)
            k_rope = torch.cat([self.k_rope, k_rope], dim=1)
        self.c_kv, self.k_rope = c_kv, k_rope
        return c_kv, k_rope


def rotate(x, start, base):
    """Half-split RoPE on x: (..., L, d) at positions start .. start + L - 1."""
    d = x.shape[-1]
    inv_freq = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.arange(start, start + x.shape[-2], dtype=torch.float64)[:, None] * inv_freq
    cos, sin = angles.cos().to(x), angles.sin().to(x)
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_latent, d_nope, d_rope, d_v, base=10000.0):
        super().__init__()
        if d_rope % 2:
            raise ValueError(f"d_rope={d_rope} must be even: RoPE rotates pairs")
        self.n_heads, self.d_latent, self.d_nope, self.d_rope, self.d_v = n_heads, d_latent, d_nope, d_rope, d_v
        self.base = base
        self.W_q = nn.Linear(d_model, n_heads * (d_nope + d_rope), bias=False)
        self.W_dkv = nn.Linear(d_model, d_latent, bias=False)
        self.W_uk = nn.Linear(d_latent, n_heads * d_nope, bias=False)
        self.W_uv = nn.Linear(d_latent, n_heads * d_v, bias=False)
        self.W_kr = nn.Linear(d_model, d_rope, bias=False)
        self.W_o = nn.Linear(n_heads * d_v, d_model, bias=False)

    def forward(self, x, cache=None, absorbed=False):
        b, n, _ = x.shape
        H = self.n_heads
        start = 0 if cache is None else cache.seq_len
        q = self.W_q(x).view(b, n, H, self.d_nope + self.d_rope).transpose(1, 2)
        q_nope, q_rope = q.split([self.d_nope, self.d_rope], dim=-1)
        q_rope = rotate(q_rope, start, self.base)
        c_kv, k_rope = self.W_dkv(x), rotate(self.W_kr(x), start, self.base)
        if cache is not None:
            c_kv, k_rope = cache.update(c_kv, k_rope)
        scores_rope = q_rope @ k_rope[:, None].transpose(-2, -1)  # one RoPE key shared by every head
        if absorbed:
            # q_nope·(W_uk_h c) = (W_uk_hᵀ q_nope)·c: score against the latent, K never materialised
            w_uk = self.W_uk.weight.view(H, self.d_nope, self.d_latent)
            scores_nope = (q_nope @ w_uk) @ c_kv[:, None].transpose(-2, -1)
        else:
            k_nope = self.W_uk(c_kv).view(b, -1, H, self.d_nope).transpose(1, 2)
            scores_nope = q_nope @ k_nope.transpose(-2, -1)
        scores = (scores_nope + scores_rope) / math.sqrt(self.d_nope + self.d_rope)
        q_pos = torch.arange(start, start + n, device=x.device)
        k_pos = torch.arange(c_kv.shape[1], device=x.device)
        scores = scores.masked_fill(k_pos[None, :] > q_pos[:, None], float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        if absorbed:
            w_uv = self.W_uv.weight.view(H, self.d_v, self.d_latent)
            out = (weights @ c_kv[:, None]) @ w_uv.transpose(-2, -1)
        else:
            v = self.W_uv(c_kv).view(b, -1, H, self.d_v).transpose(1, 2)
            out = weights @ v
        return self.W_o(out.transpose(1, 2).reshape(b, n, H * self.d_v))
