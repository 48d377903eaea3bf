"""RMSNorm forward in Triton: y = x / sqrt(mean(x²) + eps) * weight, one program per row."""

import torch
import triton
import triton.language as tl


@triton.jit
def rmsnorm_kernel(out_ptr, x_ptr, w_ptr, x_row_stride, out_row_stride, n_cols, eps,
                   BLOCK_SIZE: tl.constexpr):
    """Normalise one row: program i reads row i of x (at x_ptr + i * x_row_stride) and writes row i of out.

    w_ptr: the weight, n_cols values. BLOCK_SIZE: a power of two >= n_cols; lanes at column >= n_cols
    must not be read or written. Compute in float32; store in out's dtype.
    """
    pass  # TODO


def rmsnorm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6,
            out: torch.Tensor | None = None) -> torch.Tensor:
    """RMSNorm over the last dimension, computed by rmsnorm_kernel.

    x: (..., n_cols) float32 or float16 (a 2-D x may have x.stride(0) > n_cols; x.stride(-1) == 1).
    weight: (n_cols,), same dtype. out: optional tensor shaped like x (rows contiguous) to write into.
    Returns out: x / sqrt(mean(x², last dim) + eps) * weight, same shape and dtype as x.
    """
    raise NotImplementedError
