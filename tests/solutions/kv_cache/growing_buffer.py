"""Correct alternative for kv_cache: a preallocated buffer that doubles when full; RoPE through complex numbers."""

import math

import torch
from torch import nn


class KVCache:
    def __init__(self):
        self._k = self._v = None
        self._used = 0

    @property
    def seq_len(self):
        return self._used

    @property
    def k(self):
        return None if self._k is None else self._k[:, :, : self._used]

    @property
    def v(self):
        return None if self._v is None else self._v[:, :, : self._used]

    def _grow(self, like, need):
        cap = max(need, 2 * (0 if self._k is None else self._k.shape[2]), 4)
        shape = (like.shape[0], like.shape[1], cap, like.shape[3])
        new_k, new_v = like.new_zeros(shape), like.new_zeros(shape)
        if self._k is not None:
            new_k[:, :, : self._used] = self.k
            new_v[:, :, : self._used] = self.v
        self._k, self._v = new_k, new_v

    def update(self, k, v):
        n = k.shape[2]
        if self._k is None or self._used + n > self._k.shape[2]:
            self._grow(k, self._used + n)
        self._k[:, :, self._used:self._used + n] = k
        self._v[:, :, self._used:self._used + n] = v
        self._used += n
        return self.k, self.v


def rope(x, first_pos, base):
    half = x.shape[-1] // 2
    pos = torch.arange(x.shape[-2], dtype=torch.float64) + first_pos
    freq = 1.0 / base ** (torch.arange(half, dtype=torch.float64) * 2 / x.shape[-1])
    rot = torch.polar(torch.ones(x.shape[-2], half, dtype=torch.float64), torch.outer(pos, freq))
    z = torch.complex(x[..., :half].double(), x[..., half:].double()) * rot
    return torch.cat([z.real, z.imag], -1).to(x.dtype)


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads, base=10000.0):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError("d_model must be divisible by n_heads")
        if (d_model // n_heads) % 2 != 0:
            raise ValueError("head size must be even for RoPE")
        self.h, self.base = n_heads, base
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d_model, d_model, bias=False)
                                                              for _ in range(4))

    def forward(self, x, cache=None):
        B, L, D = x.shape
        split = lambda t: t.reshape(B, L, self.h, D // self.h).permute(0, 2, 1, 3)  # noqa: E731
        first = cache.seq_len if cache is not None else 0
        q = rope(split(self.q_proj(x)), first, self.base)
        k = rope(split(self.k_proj(x)), first, self.base)
        v = split(self.v_proj(x))
        if cache is not None:
            k, v = cache.update(k, v)
        outs = []
        for i in range(L):  # one query position at a time: it sees keys 0 .. first + i
            visible = first + i + 1
            s = torch.einsum("bhd,bhkd->bhk", q[:, :, i], k[:, :, :visible]) / math.sqrt(D // self.h)
            outs.append(torch.einsum("bhk,bhkd->bhd", torch.softmax(s, -1), v[:, :, :visible]))
        out = torch.stack(outs, 2)
        return self.o_proj(out.permute(0, 2, 1, 3).reshape(B, L, D))
