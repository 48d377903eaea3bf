"""Correct alternative for rope: an explicit (D, D) rotation matrix per position, softmax written by hand."""

import math

import torch


def rope_angles(seq_len, head_dim, base=10000.0, offset=0):
    if head_dim % 2:
        raise ValueError(f"head_dim must be even, got {head_dim}")
    exponents = torch.arange(head_dim // 2, dtype=torch.float64) * 2 / head_dim
    return (offset + torch.arange(seq_len, dtype=torch.float64)).unsqueeze(1) / base ** exponents


def rotation_matrices(seq_len, head_dim, base, offset, interleaved):
    """(seq_len, D, D) float64: out = R @ x for the vector x at each position."""
    angles = rope_angles(seq_len, head_dim, base, offset)
    half = head_dim // 2
    R = torch.zeros(seq_len, head_dim, head_dim, dtype=torch.float64)
    for i in range(half):
        a, b = (2 * i, 2 * i + 1) if interleaved else (i, i + half)
        c, s = torch.cos(angles[:, i]), torch.sin(angles[:, i])
        R[:, a, a], R[:, a, b] = c, -s
        R[:, b, a], R[:, b, b] = s, c
    return R


def apply_rope(x, offset=0, base=10000.0, interleaved=False):
    R = rotation_matrices(x.shape[-2], x.shape[-1], base, offset, interleaved)
    y = torch.einsum("lij,...lj->...li", R, x.double())
    return y.to(x.dtype)


def rope_attention(q, k, v, q_offset=0, base=10000.0, interleaved=False, causal=False):
    d = q.shape[-1]
    q = apply_rope(q, q_offset, base, interleaved)
    k = apply_rope(k, 0, base, interleaved)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
    if causal:
        lq, lk = scores.shape[-2:]
        future = torch.triu(torch.ones(lq, lk, dtype=torch.bool), diagonal=q_offset + 1)
        scores = scores.masked_fill(future, -math.inf)
    scores = scores - scores.amax(dim=-1, keepdim=True)
    weights = scores.exp()
    return torch.matmul(weights / weights.sum(dim=-1, keepdim=True), v)
