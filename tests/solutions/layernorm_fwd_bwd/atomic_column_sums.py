"""LayerNorm with chunked (64-wide) row loops; the backward adds every row's dy·x̂ and dy into zeroed
float32 column sums with tl.atomic_add, so no partial buffers are needed."""

import torch
import triton
import triton.language as tl

CHUNK = 64


@triton.jit
def layernorm_fwd_kernel(y_ptr, x_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, x_row_stride, y_row_stride,
                         n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    lanes = tl.arange(0, BLOCK_SIZE)
    total = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        total += tl.load(x_ptr + row * x_row_stride + c, mask=c < n_cols, other=0.0).to(tl.float32)
    mean = tl.sum(total, axis=0) / n_cols
    squares = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        d = tl.load(x_ptr + row * x_row_stride + c, mask=c < n_cols, other=0.0).to(tl.float32) - mean
        squares += tl.where(c < n_cols, d * d, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(squares, axis=0) / n_cols + eps)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        keep = c < n_cols
        v = tl.load(x_ptr + row * x_row_stride + c, mask=keep, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + c, mask=keep, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + c, mask=keep, other=0.0).to(tl.float32)
        tl.store(y_ptr + row * y_row_stride + c, ((v - mean) * rstd * w + b).to(y_ptr.dtype.element_ty), mask=keep)
    tl.store(mean_ptr + row, mean)
    tl.store(rstd_ptr + row, rstd)


@triton.jit
def layernorm_bwd_kernel(dx_ptr, dy_ptr, x_ptr, w_ptr, mean_ptr, rstd_ptr, dw_ptr, db_ptr,
                         x_row_stride, dy_row_stride, dx_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    lanes = tl.arange(0, BLOCK_SIZE)
    mean = tl.load(mean_ptr + row)
    rstd = tl.load(rstd_ptr + row)
    dot = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    plain = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        keep = c < n_cols
        xhat = tl.where(keep, (tl.load(x_ptr + row * x_row_stride + c, mask=keep, other=0.0).to(tl.float32)
                               - mean) * rstd, 0.0)
        wdy = (tl.load(w_ptr + c, mask=keep, other=0.0).to(tl.float32)
               * tl.load(dy_ptr + row * dy_row_stride + c, mask=keep, other=0.0).to(tl.float32))
        dot += wdy * xhat
        plain += wdy
    c1 = tl.sum(dot, axis=0) / n_cols
    c2 = tl.sum(plain, axis=0) / n_cols
    for c0 in range(0, n_cols, BLOCK_SIZE):
        c = c0 + lanes
        keep = c < n_cols
        xhat = tl.where(keep, (tl.load(x_ptr + row * x_row_stride + c, mask=keep, other=0.0).to(tl.float32)
                               - mean) * rstd, 0.0)
        dy = tl.load(dy_ptr + row * dy_row_stride + c, mask=keep, other=0.0).to(tl.float32)
        wdy = tl.load(w_ptr + c, mask=keep, other=0.0).to(tl.float32) * dy
        tl.store(dx_ptr + row * dx_row_stride + c, ((wdy - xhat * c1 - c2) * rstd).to(dx_ptr.dtype.element_ty),
                 mask=keep)
        tl.atomic_add(dw_ptr + c, dy * xhat, mask=keep)
        tl.atomic_add(db_ptr + c, dy, mask=keep)


def layernorm_fwd(x, weight, bias, eps=1e-5, out=None):
    n_rows, n_cols = x.shape
    y = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device) if out is None else out
    mean = torch.empty(n_rows, dtype=torch.float32, device=x.device)
    rstd = torch.empty_like(mean)
    layernorm_fwd_kernel[(n_rows,)](y, x, weight, bias, mean, rstd, x.stride(0), y.stride(0), n_cols, eps,
                                    BLOCK_SIZE=CHUNK)
    return y, mean, rstd


def layernorm_bwd(dy, x, weight, mean, rstd, dx_out=None):
    n_rows, n_cols = x.shape
    dx = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device) if dx_out is None else dx_out
    dw = torch.zeros(n_cols, dtype=torch.float32, device=x.device)
    db = torch.zeros(n_cols, dtype=torch.float32, device=x.device)
    layernorm_bwd_kernel[(n_rows,)](dx, dy, x, weight, mean, rstd, dw, db, x.stride(0), dy.stride(0), dx.stride(0),
                                    n_cols, BLOCK_SIZE=CHUNK)
    return dx, dw.to(weight.dtype), db.to(weight.dtype)
