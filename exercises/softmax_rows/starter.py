"""Row-wise softmax in Triton: one program per row, the whole row in one block."""

import torch
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(out_ptr, x_ptr, x_row_stride, out_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    """Softmax of one row: program i reads row i of x and writes row i of out.

    Row i of x starts at x_ptr + i * x_row_stride (elements within a row are contiguous); same for out
    with out_row_stride. BLOCK_SIZE: a power of two >= n_cols. Compute in float32 whatever the
    input dtype; store in out's dtype. Lanes at column >= n_cols must not be read or written.
    """
    pass  # TODO


def softmax(x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(x, dim=-1) computed by softmax_kernel.

    x: (n_rows, n_cols) float32 or float16, rows contiguous (x.stride(1) == 1) but x.stride(0) may be
    larger than n_cols (x can be a slice of a wider tensor).
    out: optional (n_rows, n_cols) tensor of x's dtype with out.stride(1) == 1 to write into.
    Returns out (same shape and dtype as x).
    """
    raise NotImplementedError
