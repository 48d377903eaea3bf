"""A correct GQA as a loop over query heads, each picking its kv head h // group, with a stable softmax by hand."""

import torch
from torch import nn


def _attend(q, k, v, causal):
    s = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
    if causal:
        s = s.masked_fill(~torch.ones(s.shape[-2:], dtype=torch.bool).tril(), float("-inf"))
    s = s - s.max(dim=-1, keepdim=True).values
    w = s.exp()
    return (w / w.sum(-1, keepdim=True)) @ v


def grouped_query_attention(q, k, v, causal=False):
    n, n_kv = q.shape[1], k.shape[1]
    if n_kv == 0 or n % n_kv != 0:
        raise ValueError(f"{n} query heads cannot share {n_kv} kv heads evenly")
    group = n // n_kv
    return torch.stack([_attend(q[:, h], k[:, h // group], v[:, h // group], causal) for h in range(n)], dim=1)


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, bias=True):
        super().__init__()
        if d_model % n_heads != 0 or n_kv_heads <= 0 or n_heads % n_kv_heads != 0:
            raise ValueError("d_model, n_heads and n_kv_heads do not fit together")
        d_head = d_model // n_heads
        self.n_heads, self.n_kv_heads, self.d_head = n_heads, n_kv_heads, d_head
        self.q_proj = nn.Linear(d_model, n_heads * d_head, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * d_head, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * d_head, bias=bias)
        self.o_proj = nn.Linear(n_heads * d_head, d_model, bias=bias)

    def _heads(self, t, count):
        return torch.stack(t.split(self.d_head, dim=-1), dim=1)[:, :count]

    def forward(self, x, causal=False):
        q = self._heads(self.q_proj(x), self.n_heads)
        k = self._heads(self.k_proj(x), self.n_kv_heads)
        v = self._heads(self.v_proj(x), self.n_kv_heads)
        out = grouped_query_attention(q, k, v, causal=causal)
        return self.o_proj(torch.cat(out.unbind(dim=1), dim=-1))
