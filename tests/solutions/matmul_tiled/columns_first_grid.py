"""Tiled matmul whose grid puts column tiles on axis 0; pointers rebuilt from k0 at every step, 16x64x64 tiles."""

import torch
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    col_tile = tl.program_id(0)
    row_tile = tl.program_id(1)
    i = row_tile * BLOCK_M + tl.arange(0, BLOCK_M)
    j = col_tile * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + tl.arange(0, BLOCK_K)
        x = tl.load(a_ptr + i[:, None] * stride_am + k[None, :] * stride_ak,
                    mask=(i[:, None] < M) & (k[None, :] < K), other=0.0).to(tl.float32)
        y = tl.load(b_ptr + k[:, None] * stride_bk + j[None, :] * stride_bn,
                    mask=(k[:, None] < K) & (j[None, :] < N), other=0.0).to(tl.float32)
        acc += tl.dot(x, y)
    tl.store(c_ptr + i[:, None] * stride_cm + j[None, :] * stride_cn, acc.to(c_ptr.dtype.element_ty),
             mask=(i[:, None] < M) & (j[None, :] < N))


def matmul(a, b, out=None):
    m, k = a.shape
    n = b.shape[1]
    if out is None:
        out = a.new_empty((m, n))
    tiles = (triton.cdiv(n, 64), triton.cdiv(m, 16))
    matmul_kernel[tiles](a, b, out, m, n, k, *a.stride(), *b.stride(), *out.stride(),
                         BLOCK_M=16, BLOCK_N=64, BLOCK_K=64)
    return out
