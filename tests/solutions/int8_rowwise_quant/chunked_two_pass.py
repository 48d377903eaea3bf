"""Row-wise int8 quantisation in 64-wide chunks: a pass for the row's absmax, a pass to quantise."""

import torch
import triton
import triton.language as tl


@triton.jit
def quantize_kernel(x_ptr, q_ptr, scale_ptr, x_row_stride, q_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    lanes = tl.arange(0, BLOCK_SIZE)
    peak = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        peak = tl.maximum(peak, tl.abs(tl.load(x_ptr + r * x_row_stride + c, mask=c < n_cols, other=0.0).to(tl.float32)))
    absmax = tl.max(peak, axis=0)
    tl.store(scale_ptr + r, absmax / 127.0)
    factor = tl.where(absmax == 0.0, 0.0, 127.0 / absmax)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        keep = c < n_cols
        y = tl.load(x_ptr + r * x_row_stride + c, mask=keep, other=0.0).to(tl.float32) * factor
        rounded = tl.where(y < 0, -tl.floor(-y + 0.5), tl.floor(y + 0.5))
        tl.store(q_ptr + r * q_row_stride + c, tl.clamp(rounded, -127.0, 127.0).to(tl.int8), mask=keep)


def quantize_rowwise(x, q_out=None, scale_out=None):
    rows, cols = x.shape
    q = torch.empty((rows, cols), dtype=torch.int8, device=x.device) if q_out is None else q_out
    s = torch.empty(rows, dtype=torch.float32, device=x.device) if scale_out is None else scale_out
    quantize_kernel[(rows,)](x, q, s, x.stride(0), q.stride(0), cols, BLOCK_SIZE=64)
    return q, s
