"""LayerNorm where the backward runs one program per row and writes that row's dy·x̂ and dy to partial
buffers of shape (n_rows, n_cols); the partials are summed over rows afterwards. Forward in float64."""

import torch
import triton
import triton.language as tl


@triton.jit
def layernorm_fwd_kernel(y_ptr, x_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, x_row_stride, y_row_stride,
                         n_cols, eps, BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    j = tl.arange(0, BLOCK_SIZE)
    ok = j < n_cols
    v = tl.load(x_ptr + r * x_row_stride + j, mask=ok, other=0.0).to(tl.float64)
    mu = tl.sum(v, axis=0) / n_cols
    centred = tl.where(ok, v - mu, 0.0)
    inv = 1.0 / tl.sqrt(tl.sum(centred * centred, axis=0) / n_cols + eps)
    g = tl.load(w_ptr + j, mask=ok, other=0.0).to(tl.float64)
    h = tl.load(b_ptr + j, mask=ok, other=0.0).to(tl.float64)
    tl.store(y_ptr + r * y_row_stride + j, (centred * inv * g + h).to(y_ptr.dtype.element_ty), mask=ok)
    tl.store(mean_ptr + r, mu.to(tl.float32))
    tl.store(rstd_ptr + r, inv.to(tl.float32))


@triton.jit
def layernorm_bwd_kernel(dx_ptr, dy_ptr, x_ptr, w_ptr, mean_ptr, rstd_ptr, dw_rows_ptr, db_rows_ptr,
                         x_row_stride, dy_row_stride, dx_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    j = tl.arange(0, BLOCK_SIZE)
    ok = j < n_cols
    v = tl.load(x_ptr + r * x_row_stride + j, mask=ok, other=0.0).to(tl.float32)
    g = tl.load(dy_ptr + r * dy_row_stride + j, mask=ok, other=0.0).to(tl.float32)
    w = tl.load(w_ptr + j, mask=ok, other=0.0).to(tl.float32)
    xhat = tl.where(ok, (v - tl.load(mean_ptr + r)) * tl.load(rstd_ptr + r), 0.0)
    gw = g * w
    dx = (gw - xhat * (tl.sum(gw * xhat, axis=0) / n_cols) - tl.sum(gw, axis=0) / n_cols) * tl.load(rstd_ptr + r)
    tl.store(dx_ptr + r * dx_row_stride + j, dx.to(dx_ptr.dtype.element_ty), mask=ok)
    tl.store(dw_rows_ptr + r * n_cols + j, g * xhat, mask=ok)
    tl.store(db_rows_ptr + r * n_cols + j, g, mask=ok)


def layernorm_fwd(x, weight, bias, eps=1e-5, out=None):
    rows, cols = x.shape
    y = out if out is not None else torch.empty((rows, cols), dtype=x.dtype, device=x.device)
    mean = torch.empty(rows, dtype=torch.float32, device=x.device)
    rstd = torch.empty(rows, dtype=torch.float32, device=x.device)
    layernorm_fwd_kernel[(rows,)](y, x, weight, bias, mean, rstd, x.stride(0), y.stride(0), cols, eps,
                                  BLOCK_SIZE=triton.next_power_of_2(cols))
    return y, mean, rstd


def layernorm_bwd(dy, x, weight, mean, rstd, dx_out=None):
    rows, cols = x.shape
    dx = dx_out if dx_out is not None else torch.empty((rows, cols), dtype=x.dtype, device=x.device)
    dw_rows = torch.empty((rows, cols), dtype=torch.float32, device=x.device)
    db_rows = torch.empty((rows, cols), dtype=torch.float32, device=x.device)
    layernorm_bwd_kernel[(rows,)](dx, dy, x, weight, mean, rstd, dw_rows, db_rows, x.stride(0), dy.stride(0),
                                  dx.stride(0), cols, BLOCK_SIZE=triton.next_power_of_2(cols))
    return dx, dw_rows.sum(0).to(weight.dtype), db_rows.sum(0).to(weight.dtype)
