"""Reference solution for the `rope` exercise: rotary position embedding in torch, both pair layouts."""

import math

import torch


def rope_angles(seq_len, head_dim, base=10000.0, offset=0):
    """(seq_len, head_dim // 2) float64: angle[l, i] = (offset + l) * base ** (-2i / head_dim)."""
    if head_dim % 2:
        raise ValueError(f"head_dim={head_dim} must be even: RoPE rotates pairs of components")
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    positions = torch.arange(offset, offset + seq_len, dtype=torch.float64)
    return positions[:, None] * inv_freq


def apply_rope(x, offset=0, base=10000.0, interleaved=False):
    """x: (..., L, D); position of x[..., l, :] is offset + l. Same shape and dtype out."""
    angles = rope_angles(x.shape[-2], x.shape[-1], base, offset).to(x.device)
    # float16/bfloat16 inputs are rotated in float32 and rounded once at the end
    work = torch.promote_types(x.dtype, torch.float32)
    cos, sin = angles.cos().to(work), angles.sin().to(work)
    x_work = x.to(work)
    if interleaved:
        x1, x2 = x_work[..., 0::2], x_work[..., 1::2]
    else:
        x1, x2 = x_work.chunk(2, dim=-1)
    y1 = x1 * cos - x2 * sin
    y2 = x2 * cos + x1 * sin
    if interleaved:
        y = torch.stack((y1, y2), dim=-1).flatten(-2)
    else:
        y = torch.cat((y1, y2), dim=-1)
    return y.to(x.dtype)


def rope_attention(q, k, v, q_offset=0, base=10000.0, interleaved=False, causal=False):
    """q: (B, H, Lq, D) at positions q_offset.. ; k, v: (B, H, Lk, D) at positions 0..Lk-1."""
    q = apply_rope(q, q_offset, base, interleaved)
    k = apply_rope(k, 0, base, interleaved)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        q_pos = torch.arange(q_offset, q_offset + q.shape[-2], device=q.device)
        k_pos = torch.arange(k.shape[-2], device=q.device)
        scores = scores.masked_fill(k_pos[None, :] > q_pos[:, None], float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
