"""Correct alternative for mla: per-head weights sliced out explicitly, einsum everywhere, a list-of-chunks cache."""

import math

import torch
from torch import nn


class MLACache:
    def __init__(self):
        self.parts = []

    @property
    def seq_len(self):
        return sum(c.shape[1] for c, _ in self.parts)

    @property
    def c_kv(self):
        return torch.cat([c for c, _ in self.parts], 1) if self.parts else None

    @property
    def k_rope(self):
        return torch.cat([r for _, r in self.parts], 1) if self.parts else None

    def update(self, c_kv, k_rope):
        self.parts.append((c_kv, k_rope))
        return self.c_kv, self.k_rope


def rope(t, first, base):
    half = t.shape[-1] // 2
    theta = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / t.shape[-1])
    ang = torch.outer(torch.arange(first, first + t.shape[-2], dtype=torch.float64), theta)
    cos, sin = torch.cos(ang).to(t.dtype), torch.sin(ang).to(t.dtype)
    lo, hi = t[..., :half], t[..., half:]
    return torch.cat([lo * cos - hi * sin, lo * sin + hi * cos], -1)


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_latent, d_nope, d_rope, d_v, base=10000.0):
        super().__init__()
        if d_rope % 2 == 1:
            raise ValueError("d_rope must be even")
        self.h, self.dn, self.dr, self.dv, self.dl, self.base = n_heads, d_nope, d_rope, d_v, d_latent, base
        lin = lambda i, o: nn.Linear(i, o, bias=False)  # noqa: E731
        self.W_q, self.W_dkv = lin(d_model, n_heads * (d_nope + d_rope)), lin(d_model, d_latent)
        self.W_uk, self.W_uv = lin(d_latent, n_heads * d_nope), lin(d_latent, n_heads * d_v)
        self.W_kr, self.W_o = lin(d_model, d_rope), lin(n_heads * d_v, d_model)

    def forward(self, x, cache=None, absorbed=False):
        B, L, _ = x.shape
        t0 = cache.seq_len if cache is not None else 0
        q = self.W_q(x).reshape(B, L, self.h, self.dn + self.dr)
        q_nope = q[..., : self.dn]
        q_rope = rope(q[..., self.dn:].transpose(1, 2), t0, self.base)  # (B, H, L, dr)
        c_new = self.W_dkv(x)
        kr_new = rope(self.W_kr(x), t0, self.base)
        c, kr = cache.update(c_new, kr_new) if cache is not None else (c_new, kr_new)
        T = c.shape[1]
        wk = self.W_uk.weight.reshape(self.h, self.dn, self.dl)
        wv = self.W_uv.weight.reshape(self.h, self.dv, self.dl)
        if absorbed:
            s_nope = torch.einsum("blhn,hnc,btc->bhlt", q_nope, wk, c)
        else:
            k_nope = self.W_uk(c).reshape(B, T, self.h, self.dn)
            s_nope = torch.einsum("blhn,bthn->bhlt", q_nope, k_nope)
        s = (s_nope + torch.einsum("bhlr,btr->bhlt", q_rope, kr)) / math.sqrt(self.dn + self.dr)
        allowed = torch.arange(T)[None, :] <= torch.arange(t0, t0 + L)[:, None]
        p = torch.softmax(s.masked_fill(~allowed, -math.inf), dim=-1)
        if absorbed:
            out = torch.einsum("bhlt,btc,hvc->blhv", p, c, wv)
        else:
            out = torch.einsum("bhlt,bthv->blhv", p, self.W_uv(c).reshape(B, T, self.h, self.dv))
        return self.W_o(out.reshape(B, L, self.h * self.dv))
