"""Softmax with a fixed 64-wide chunk: an online max/sum pass over the row, then a normalising pass."""

import torch
import triton
import triton.language as tl

CHUNK = 64


@triton.jit
def softmax_kernel(out_ptr, x_ptr, x_row_stride, out_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    src = x_ptr + r * x_row_stride
    dst = out_ptr + r * out_row_stride
    lanes = tl.arange(0, BLOCK_SIZE)
    running_max = -float("inf")
    running_sum = 0.0
    for c in range(0, n_cols, BLOCK_SIZE):
        idx = c + lanes
        v = tl.load(src + idx, mask=idx < n_cols, other=-float("inf")).to(tl.float32)
        new_max = tl.maximum(running_max, tl.max(v, axis=0))
        running_sum = running_sum * tl.exp(running_max - new_max) + tl.sum(tl.exp(v - new_max), axis=0)
        running_max = new_max
    for c in range(0, n_cols, BLOCK_SIZE):
        idx = c + lanes
        v = tl.load(src + idx, mask=idx < n_cols, other=0.0).to(tl.float32)
        tl.store(dst + idx, (tl.exp(v - running_max) / running_sum).to(out_ptr.dtype.element_ty), mask=idx < n_cols)


def softmax(x, out=None):
    rows, cols = x.shape
    target = out if out is not None else torch.empty((rows, cols), dtype=x.dtype, device=x.device)
    softmax_kernel[(rows,)](target, x, x.stride(0), target.stride(0), cols, BLOCK_SIZE=CHUNK)
    return target
