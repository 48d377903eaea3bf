"""Correct alternative for rope: each pair as a complex number multiplied by exp(i·angle) (torch.polar)."""

import math

import torch


def rope_angles(seq_len, head_dim, base=10000.0, offset=0):
    if head_dim % 2 != 0:
        raise ValueError("odd head_dim")
    pos = torch.arange(seq_len, dtype=torch.float64) + offset
    theta = torch.tensor([base ** (-2.0 * i / head_dim) for i in range(head_dim // 2)], dtype=torch.float64)
    return torch.outer(pos, theta)


def apply_rope(x, offset=0, base=10000.0, interleaved=False):
    d = x.shape[-1]
    angle = rope_angles(x.shape[-2], d, base, offset)
    rot = torch.polar(torch.ones_like(angle), angle)  # complex128
    xd = x.to(torch.float64)
    if interleaved:
        z = torch.view_as_complex(xd.reshape(*x.shape[:-1], d // 2, 2).contiguous())
        out = torch.view_as_real(z * rot).reshape(x.shape)
    else:
        z = torch.complex(xd[..., : d // 2], xd[..., d // 2:])
        w = z * rot
        out = torch.cat([w.real, w.imag], dim=-1)
    return out.to(x.dtype)


def rope_attention(q, k, v, q_offset=0, base=10000.0, interleaved=False, causal=False):
    qr = apply_rope(q, offset=q_offset, base=base, interleaved=interleaved)
    kr = apply_rope(k, base=base, interleaved=interleaved)
    s = torch.einsum("bhqd,bhkd->bhqk", qr, kr) * (1.0 / math.sqrt(q.shape[-1]))
    if causal:
        lq, lk = s.shape[-2], s.shape[-1]
        allowed = torch.arange(lk)[None, :] <= (torch.arange(lq)[:, None] + q_offset)
        s = torch.where(allowed, s, torch.full_like(s, float("-inf")))
    return torch.einsum("bhqk,bhkd->bhqd", s.softmax(-1), v)
