"""Multi-head latent attention (MLA, simplified from DeepSeek-V2): a low-rank latent is all that is cached."""

import math

import torch
from torch import nn


class MLACache:
    """Per token, only the latent and the shared RoPE key.

    c_kv: None while empty, then (B, T, d_latent).   k_rope: None, then (B, T, d_rope), already rotated.
    """

    def __init__(self):
        raise NotImplementedError

    @property
    def seq_len(self):
        """T, the number of cached positions (0 when empty)."""
        raise NotImplementedError

    def update(self, c_kv, k_rope):
        """Append (B, L, d_latent) and (B, L, d_rope) on the sequence axis (dim 1); return everything so far."""
        raise NotImplementedError


class MultiHeadLatentAttention(nn.Module):
    """Causal MLA. Layers (no bias; the tests overwrite their weights; y = x Wᵀ):

      W_q   = nn.Linear(d_model, n_heads * (d_nope + d_rope))  per head: d_nope content dims, then d_rope RoPE dims
      W_dkv = nn.Linear(d_model, d_latent)                     c_kv = W_dkv(x), the cached latent
      W_uk  = nn.Linear(d_latent, n_heads * d_nope)            content keys, head h = features [h*d_nope, (h+1)*d_nope)
      W_uv  = nn.Linear(d_latent, n_heads * d_v)               values, head h = features [h*d_v, (h+1)*d_v)
      W_kr  = nn.Linear(d_model, d_rope)                       one RoPE key shared by all heads
      W_o   = nn.Linear(n_heads * d_v, d_model)                on the head outputs concatenated in order

    score_h = (q_nope_h · k_nope_h + rope(q_rope_h) · rope(k_rope)) / sqrt(d_nope + d_rope), causal by absolute
    position. RoPE: half-split pairs (x[i], x[i + d/2]), angle = position * base ** (-2i / d).
    Raise ValueError if d_rope is odd.
    """

    def __init__(self, d_model, n_heads, d_latent, d_nope, d_rope, d_v, base=10000.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x, cache=None, absorbed=False):
        """x: (B, L, d_model) -> (B, L, d_model).

        cache None: positions 0..L-1. cache given: positions cache.seq_len.., and the new c_kv and rotated k_rope
        are appended to it. absorbed=True: the same result without materialising K or V (never call W_uk or
        W_uv as layers): fold W_uk into the query and W_uv into the output, working on the latent directly.
        """
        raise NotImplementedError
