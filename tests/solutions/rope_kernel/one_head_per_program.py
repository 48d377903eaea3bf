"""RoPE with a 2-D grid (token, head): each program rotates one head vector, in float64."""

import torch
import triton
import triton.language as tl


@triton.jit
def rope_kernel(x_ptr, cos_ptr, sin_ptr, out_ptr,
                stride_xb, stride_xl, stride_xh, stride_xd,
                stride_ob, stride_ol, stride_oh, stride_od,
                stride_cl, seq_len, n_heads, half_dim, pos_offset,
                BLOCK_H: tl.constexpr, BLOCK_D: tl.constexpr):
    token = tl.program_id(0)
    head = tl.program_id(1)
    batch = token // seq_len
    p = token % seq_len
    i = tl.arange(0, BLOCK_D)
    live = i < half_dim
    row = (p + pos_offset) * stride_cl
    c = tl.load(cos_ptr + row + i, mask=live, other=1.0).to(tl.float64)
    s = tl.load(sin_ptr + row + i, mask=live, other=0.0).to(tl.float64)
    src = x_ptr + batch * stride_xb + p * stride_xl + head * stride_xh
    lo = tl.load(src + i * stride_xd, mask=live, other=0.0).to(tl.float64)
    hi = tl.load(src + (i + half_dim) * stride_xd, mask=live, other=0.0).to(tl.float64)
    dst = out_ptr + batch * stride_ob + p * stride_ol + head * stride_oh
    tl.store(dst + i * stride_od, (lo * c - hi * s).to(out_ptr.dtype.element_ty), mask=live)
    tl.store(dst + (i + half_dim) * stride_od, (hi * c + lo * s).to(out_ptr.dtype.element_ty), mask=live)


def apply_rope(x, cos, sin, pos_offset=0, out=None):
    b, length, heads, dim = x.shape
    half = dim // 2
    result = torch.empty_like(x) if out is None else out
    rope_kernel[(b * length, heads)](x, cos, sin, result, *x.stride(), *result.stride(), cos.stride(0),
                                     length, heads, half, pos_offset,
                                     BLOCK_H=1, BLOCK_D=triton.next_power_of_2(half))
    return result
