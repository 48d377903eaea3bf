"""A correct attention with a hand-written stable softmax (max subtracted) and masked_fill after broadcasting."""

import torch
from torch import nn


def _softmax(scores):
    shifted = scores - scores.amax(dim=-1, keepdim=True)
    e = shifted.exp()
    return e / e.sum(dim=-1, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None):
    d = q.shape[-1]
    s = (q @ k.mT) * (d ** -0.5 if scale is None else scale)
    allowed = torch.ones(s.shape[-2:], dtype=torch.bool)
    if causal:
        allowed = torch.tril(allowed)
    if mask is not None:
        allowed = allowed & mask
    s = s.masked_fill(torch.logical_not(allowed), float("-inf"))
    return _softmax(s) @ v


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, bias=True):
        super().__init__()
        if n_heads <= 0 or d_model % n_heads != 0:
            raise ValueError(f"{d_model} % {n_heads} != 0")
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias)
        self.k_proj = nn.Linear(d_model, d_model, bias)
        self.v_proj = nn.Linear(d_model, d_model, bias)
        self.o_proj = nn.Linear(d_model, d_model, bias)

    def forward(self, x, context=None, mask=None, causal=False):
        kv = x if context is None else context
        B, Lq, D = x.shape
        H = self.n_heads

        def heads(t):
            return t.unflatten(-1, (H, D // H)).permute(0, 2, 1, 3)

        out = scaled_dot_product_attention(heads(self.q_proj(x)), heads(self.k_proj(kv)), heads(self.v_proj(kv)),
                                           mask=mask, causal=causal)
        return self.o_proj(out.permute(0, 2, 1, 3).flatten(2))
