"""Correct alternative for mla: float64 inside, one head and one query at a time, a doubling buffer cache."""

import math

import torch
from torch import nn


class MLACache:
    __slots__ = ("_c", "_r", "_n")

    def __init__(self):
        self._c = self._r = None
        self._n = 0

    @property
    def seq_len(self):
        return self._n

    @property
    def c_kv(self):
        return None if self._c is None else self._c[:, : self._n]

    @property
    def k_rope(self):
        return None if self._r is None else self._r[:, : self._n]

    def update(self, c_kv, k_rope):
        n = c_kv.shape[1]
        if self._c is None or self._n + n > self._c.shape[1]:
            cap = max(2 * self._n, self._n + n)
            c = c_kv.new_empty(c_kv.shape[0], cap, c_kv.shape[2])
            r = k_rope.new_empty(k_rope.shape[0], cap, k_rope.shape[2])
            if self._c is not None:
                c[:, : self._n], r[:, : self._n] = self.c_kv, self.k_rope
            self._c, self._r = c, r
        self._c[:, self._n:self._n + n] = c_kv
        self._r[:, self._n:self._n + n] = k_rope
        self._n += n
        return self.c_kv, self.k_rope


class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model, n_heads, d_latent, d_nope, d_rope, d_v, base=10000.0):
        super().__init__()
        if d_rope % 2:
            raise ValueError(f"odd d_rope {d_rope}")
        self.n_heads, self.d_nope, self.d_rope, self.d_v, self.base = n_heads, d_nope, d_rope, d_v, base
        self.W_q = nn.Linear(d_model, n_heads * (d_nope + d_rope), bias=False)
        self.W_dkv = nn.Linear(d_model, d_latent, bias=False)
        self.W_uk = nn.Linear(d_latent, n_heads * d_nope, bias=False)
        self.W_uv = nn.Linear(d_latent, n_heads * d_v, bias=False)
        self.W_kr = nn.Linear(d_model, d_rope, bias=False)
        self.W_o = nn.Linear(n_heads * d_v, d_model, bias=False)

    def _rot(self, vec, pos):
        half = vec.shape[-1] // 2
        out = vec.clone()
        for i in range(half):
            a = pos * self.base ** (-2 * i / vec.shape[-1])
            out[..., i] = vec[..., i] * math.cos(a) - vec[..., i + half] * math.sin(a)
            out[..., i + half] = vec[..., i + half] * math.cos(a) + vec[..., i] * math.sin(a)
        return out

    def forward(self, x, cache=None, absorbed=False):
        B, L, _ = x.shape
        first = 0 if cache is None else cache.seq_len
        xd = x.double()
        q = xd @ self.W_q.weight.double().T
        c_new = self.W_dkv(x)
        kr_new = torch.stack([self._rot(self.W_kr(x)[:, i], first + i) for i in range(L)], 1)
        c, kr = (c_new, kr_new) if cache is None else cache.update(c_new, kr_new)
        c, kr = c.double(), kr.double()
        wk, wv = self.W_uk.weight.double(), self.W_uv.weight.double()
        dn, dr, dv = self.d_nope, self.d_rope, self.d_v
        heads = []
        for h in range(self.n_heads):
            qh = q[..., h * (dn + dr):(h + 1) * (dn + dr)]
            wk_h, wv_h = wk[h * dn:(h + 1) * dn], wv[h * dv:(h + 1) * dv]
            rows = []
            for i in range(L):
                visible = first + i + 1
                q_rope = self._rot(qh[:, i, dn:], first + i)
                if absorbed:
                    nope = (qh[:, i, :dn] @ wk_h)[:, None, :] @ c[:, :visible].transpose(1, 2)
                else:
                    k_nope = c[:, :visible] @ wk_h.T
                    nope = qh[:, i, None, :dn] @ k_nope.transpose(1, 2)
                rope_part = q_rope[:, None, :] @ kr[:, :visible].transpose(1, 2)
                p = torch.softmax((nope + rope_part) / math.sqrt(dn + dr), dim=-1)  # (B, 1, visible)
                rows.append(((p @ c[:, :visible]) @ wv_h.T)[:, 0])
            heads.append(torch.stack(rows, 1))
        return self.W_o(torch.cat(heads, -1).to(x.dtype))
