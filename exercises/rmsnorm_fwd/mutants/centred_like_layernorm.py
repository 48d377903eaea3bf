"""Subtracts the row mean first (LayerNorm), which RMSNorm does not do."""

import torch
import triton
import triton.language as tl


@triton.jit
def rmsnorm_kernel(out_ptr, x_ptr, w_ptr, x_row_stride, out_row_stride, n_cols, eps,
                   BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    x = tl.where(mask, x - tl.sum(x, axis=0) / n_cols, 0.0)
    mean_sq = tl.sum(x * x, axis=0) / n_cols  # divide by the real width, not BLOCK_SIZE
    inv_rms = 1.0 / tl.sqrt(mean_sq + eps)
    y = x * inv_rms * w
    tl.store(out_ptr + row * out_row_stride + cols, y.to(out_ptr.dtype.element_ty), mask=mask)


def rmsnorm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6,
            out: torch.Tensor | None = None) -> torch.Tensor:
    n_cols = x.shape[-1]
    assert weight.shape == (n_cols,)
    x2 = x if x.dim() == 2 else x.reshape(-1, n_cols)
    if x2.stride(-1) != 1:
        x2 = x2.contiguous()
    if out is None:
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    out2 = out if out.dim() == 2 else out.view(-1, n_cols)
    assert out2.stride(-1) == 1
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    rmsnorm_kernel[(x2.shape[0],)](out2, x2, weight, x2.stride(0), out2.stride(0), n_cols, eps,
                                   BLOCK_SIZE=BLOCK_SIZE)
    return out
