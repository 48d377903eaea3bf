"""RoPE with grid (seq_len, B) and the heads walked in blocks of 4 inside each program."""

import torch
import triton
import triton.language as tl

HEADS_PER_STEP = 4


@triton.jit
def rope_kernel(x_ptr, cos_ptr, sin_ptr, out_ptr,
                stride_xb, stride_xl, stride_xh, stride_xd,
                stride_ob, stride_ol, stride_oh, stride_od,
                stride_cl, seq_len, n_heads, half_dim, pos_offset,
                BLOCK_H: tl.constexpr, BLOCK_D: tl.constexpr):
    pos = tl.program_id(0)
    b = tl.program_id(1)
    d = tl.arange(0, BLOCK_D)
    d_ok = d < half_dim
    angle_row = (pos_offset + pos) * stride_cl
    cos_t = tl.load(cos_ptr + angle_row + d, mask=d_ok, other=0.0)[None, :]
    sin_t = tl.load(sin_ptr + angle_row + d, mask=d_ok, other=0.0)[None, :]
    for h0 in range(0, n_heads, BLOCK_H):
        h = h0 + tl.arange(0, BLOCK_H)[:, None]
        ok = (h < n_heads) & d_ok[None, :]
        xp = x_ptr + b * stride_xb + pos * stride_xl + h * stride_xh + d[None, :] * stride_xd
        first = tl.load(xp, mask=ok, other=0.0).to(tl.float32)
        second = tl.load(xp + half_dim * stride_xd, mask=ok, other=0.0).to(tl.float32)
        op = out_ptr + b * stride_ob + pos * stride_ol + h * stride_oh + d[None, :] * stride_od
        tl.store(op, (first * cos_t - second * sin_t).to(out_ptr.dtype.element_ty), mask=ok)
        tl.store(op + half_dim * stride_od, (second * cos_t + first * sin_t).to(out_ptr.dtype.element_ty), mask=ok)


def apply_rope(x, cos, sin, pos_offset=0, out=None):
    batch, seq, heads, dim = x.shape
    if out is None:
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    rope_kernel[(seq, batch)](x, cos, sin, out, *x.stride(), *out.stride(), cos.stride(0), seq, heads, dim // 2,
                              pos_offset, BLOCK_H=HEADS_PER_STEP, BLOCK_D=triton.next_power_of_2(dim // 2))
    return out
