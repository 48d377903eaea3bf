"""Row-wise symmetric int8 quantisation in Triton: scale = absmax / 127, q = round(x / scale)."""

import torch
import triton
import triton.language as tl


@triton.jit
def quantize_kernel(x_ptr, q_ptr, scale_ptr, x_row_stride, q_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    """Quantise row i of x (at x_ptr + i * x_row_stride) into row i of q and scale[i].

    scale[i] = max_j |x[i, j]| / 127 (float32); q[i, j] = round(x[i, j] / scale[i]) as int8 in [-127, 127],
    rounding to nearest with ties away from zero. An all-zero row gets scale 0 and q 0.
    BLOCK_SIZE: a power of two >= n_cols; columns >= n_cols must be neither read nor written.
    """
    pass  # TODO


def quantize_rowwise(x: torch.Tensor, q_out: torch.Tensor | None = None,
                     scale_out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Row-wise absmax int8 quantisation computed by quantize_kernel.

    x: (n_rows, n_cols) float32 or float16, rows contiguous (x.stride(1) == 1), x.stride(0) may exceed n_cols.
    q_out: optional (n_rows, n_cols) int8 tensor to write q into (rows contiguous, any row stride);
    scale_out: optional (n_rows,) float32 tensor for the scales.
    Returns (q, scale) with x ≈ q * scale[:, None].
    """
    raise NotImplementedError
