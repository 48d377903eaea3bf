"""Tiled matrix multiply in Triton: each program computes one BLOCK_M x BLOCK_N tile of C = A @ B."""

import torch
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """Compute the tile C[pid_m*BLOCK_M : …+BLOCK_M, pid_n*BLOCK_N : …+BLOCK_N] (grid = (cdiv(M, BLOCK_M), cdiv(N, BLOCK_N))).

    Element (i, j) of A is at a_ptr + i * stride_am + j * stride_ak (same pattern for B and C).
    Loop over K in steps of BLOCK_K, accumulate tl.dot products in float32, store in C's dtype.
    Rows >= M, columns >= N and the K tail must not be read or written.
    """
    pass  # TODO


def matmul(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """A @ B computed by matmul_kernel.

    a: (M, K), b: (K, N), float32 or float16 (same dtype), any strides (b may be a transposed view).
    out: optional (M, N) tensor of the same dtype to write into (may be a slice of a wider tensor).
    Returns out, (M, N), dtype of a.
    """
    raise NotImplementedError
