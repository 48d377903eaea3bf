"""Incremental decoding with a KV cache: causal self-attention with RoPE that can prefill and then step."""

import math

import torch
from torch import nn


class KVCache:
    """Keys (after RoPE) and values of every position seen so far.

    k, v: None while empty, then (B, n_heads, T, d_head) tensors.
    """

    def __init__(self):
        raise NotImplementedError

    @property
    def seq_len(self):
        """T, the number of cached positions (0 when empty)."""
        raise NotImplementedError

    def update(self, k, v):
        """Append k, v of shape (B, n_heads, L, d_head) after the cached ones (sequence axis, dim 2).

        Returns all keys and values so far, each (B, n_heads, T + L, d_head), and keeps them as self.k, self.v.
        """
        raise NotImplementedError


class CachedSelfAttention(nn.Module):
    """Causal multi-head self-attention with half-split RoPE on q and k.

    d_head = d_model // n_heads. Layers (the tests overwrite their weights; y = x Wᵀ, no bias):
      q_proj, k_proj, v_proj, o_proj = nn.Linear(d_model, d_model, bias=False)
    Head h uses features [h*d_head, (h+1)*d_head) of a projection; head outputs are concatenated before o_proj.
    RoPE (half-split pairs (x[i], x[i + d_head/2]), angle = position * base ** (-2i / d_head)) on q and k.
    Raise ValueError if d_model % n_heads != 0 or d_head is odd.
    """

    def __init__(self, d_model, n_heads, base=10000.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x, cache=None):
        """x: (B, L, d_model) -> (B, L, d_model).

        cache None: the L tokens are at positions 0..L-1 (plain causal self-attention).
        cache given: they are at positions cache.seq_len .. cache.seq_len + L - 1; their rotated keys and
        values are appended to the cache, and each new token attends to every cached key at a position <= its own.
        """
        raise NotImplementedError
