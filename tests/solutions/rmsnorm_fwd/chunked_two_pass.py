"""RMSNorm with a fixed 128-wide chunk: one pass for Σx², a second pass to scale and store."""

import torch
import triton
import triton.language as tl


@triton.jit
def rmsnorm_kernel(out_ptr, x_ptr, w_ptr, x_row_stride, out_row_stride, n_cols, eps,
                   BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    lanes = tl.arange(0, BLOCK_SIZE)
    squares = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        v = tl.load(x_ptr + r * x_row_stride + c, mask=c < n_cols, other=0.0).to(tl.float32)
        squares += v * v
    scale = tl.rsqrt(tl.sum(squares, axis=0) / n_cols + eps)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        keep = c < n_cols
        v = tl.load(x_ptr + r * x_row_stride + c, mask=keep, other=0.0).to(tl.float32)
        g = tl.load(w_ptr + c, mask=keep, other=0.0).to(tl.float32)
        tl.store(out_ptr + r * out_row_stride + c, (v * scale * g).to(out_ptr.dtype.element_ty), mask=keep)


def rmsnorm(x, weight, eps=1e-6, out=None):
    width = x.shape[-1]
    rows = x.reshape(-1, width)
    if rows.stride(-1) != 1:
        rows = rows.contiguous()
    result = out if out is not None else torch.empty(x.shape, dtype=x.dtype, device=x.device)
    flat = result.view(-1, width) if result.dim() != 2 else result
    rmsnorm_kernel[(rows.shape[0],)](flat, rows, weight, rows.stride(0), flat.stride(0), width, eps, BLOCK_SIZE=128)
    return result
