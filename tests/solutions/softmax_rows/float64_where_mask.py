"""Softmax of a whole row in float64, padding set to -inf with tl.where after a masked load."""

import torch
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(out_ptr, x_ptr, x_row_stride, out_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    i = tl.program_id(0)
    j = tl.arange(0, BLOCK_SIZE)
    ok = j < n_cols
    v = tl.load(x_ptr + i * x_row_stride + j, mask=ok, other=0.0).to(tl.float64)
    v = tl.where(ok, v, -float("inf"))
    e = tl.exp(v - tl.max(v, axis=0))
    tl.store(out_ptr + i * out_row_stride + j, (e / tl.sum(e, axis=0)).to(out_ptr.dtype.element_ty), mask=ok)


def softmax(x, out=None):
    if out is None:
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    softmax_kernel[(x.shape[0],)](out, x, x.stride(0), out.stride(0), x.shape[1],
                                  BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
    return out
