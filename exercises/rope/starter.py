"""Rotary position embedding (RoPE) in torch: the angle table, the rotation in two pair layouts, attention with it."""

import math

import torch


def rope_angles(seq_len, head_dim, base=10000.0, offset=0):
    """The RoPE angle table.

    Returns a (seq_len, head_dim // 2) float64 tensor with
        angle[l, i] = (offset + l) * base ** (-2 * i / head_dim)
    Raise ValueError if head_dim is odd.
    """
    raise NotImplementedError


def apply_rope(x, offset=0, base=10000.0, interleaved=False):
    """Rotate x by its positions.

    x: (..., L, head_dim), any float dtype, any strides; the position of x[..., l, :] is offset + l.
    Pair i (rotated by angle[l, i]) is
        interleaved=False (half-split, GPT-NeoX / Hugging Face): (x[..., i], x[..., i + head_dim // 2])
        interleaved=True  (adjacent, RoFormer / Meta LLaMA):     (x[..., 2 * i], x[..., 2 * i + 1])
    (a, b) -> (a·cos − b·sin, b·cos + a·sin), results written back to the same two components.
    float16/bfloat16 inputs: compute in float32, return the input dtype. Never modify x.
    Returns a tensor of x's shape and dtype; differentiable. Raise ValueError if head_dim is odd.
    """
    raise NotImplementedError


def rope_attention(q, k, v, q_offset=0, base=10000.0, interleaved=False, causal=False):
    """Attention with RoPE on q and k.

    q: (B, H, Lq, D) at positions q_offset, q_offset + 1, ...
    k, v: (B, H, Lk, D) at positions 0, 1, ..., Lk − 1.
    softmax(rope(q) · rope(k)ᵀ / sqrt(D)) @ v; causal: the query at position p sees keys at positions <= p.
    Returns (B, H, Lq, D); differentiable.
    """
    raise NotImplementedError
