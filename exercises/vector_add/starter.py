"""Vector add in Triton: out = x + y, one program per block of BLOCK_SIZE elements."""

import torch
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    """Add x and y element-wise for one block of BLOCK_SIZE elements.

    x_ptr, y_ptr, out_ptr: pointers to contiguous 1-D tensors of n_elements values (same dtype).
    BLOCK_SIZE: a power of two (tl.arange needs one). Program i handles elements
    [i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE); elements at index >= n_elements must be neither read nor written.
    """
    pass  # TODO


def add(x: torch.Tensor, y: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """x + y computed by add_kernel.

    x, y: contiguous 1-D tensors of the same length and dtype (float32 or float16), on the same device.
    out: optional contiguous 1-D tensor of the same length and dtype to write into; when None, allocate one.
    Returns out.
    """
    raise NotImplementedError
