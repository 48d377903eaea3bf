"""Rotary position embedding (RoPE, rotate-half convention) in Triton: one program per (batch, position)."""

import torch
import triton
import triton.language as tl


@triton.jit
def rope_kernel(x_ptr, cos_ptr, sin_ptr, out_ptr,
                stride_xb, stride_xl, stride_xh, stride_xd,
                stride_ob, stride_ol, stride_oh, stride_od,
                stride_cl, seq_len, n_heads, half_dim, pos_offset,
                BLOCK_H: tl.constexpr, BLOCK_D: tl.constexpr):
    """Rotate every head of x[b, pos] (program pid = b * seq_len + pos; grid = (B * seq_len,)).

    Element (b, l, h, d) of x is at x_ptr + b*stride_xb + l*stride_xl + h*stride_xh + d*stride_xd (same for out).
    cos/sin: (max_positions, half_dim) float32, row p at cos_ptr + p * stride_cl; use row pos + pos_offset.
    Rotate-half convention: with x1 = x[..., :half_dim], x2 = x[..., half_dim:],
    out[..., :half_dim] = x1·cos − x2·sin and out[..., half_dim:] = x2·cos + x1·sin.
    BLOCK_H >= n_heads and BLOCK_D >= half_dim are powers of two: mask the extra lanes. Compute in float32.
    """
    pass  # TODO


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, pos_offset: int = 0,
               out: torch.Tensor | None = None) -> torch.Tensor:
    """RoPE applied to x by rope_kernel.

    x: (B, seq_len, n_heads, head_dim) float32 or float16, any strides; head_dim even.
    cos, sin: (max_positions, head_dim // 2) float32 with max_positions >= seq_len + pos_offset
    (cos[p, i] = cos(p · θ_i), θ_i = base^(−2i / head_dim)).
    pos_offset: position of x[:, 0] (non-zero when decoding after a KV cache).
    out: optional tensor shaped like x to write into. Returns out (x's shape and dtype).
    """
    raise NotImplementedError
