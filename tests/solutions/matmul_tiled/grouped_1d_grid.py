"""Tiled matmul on a 1-D grid with grouped tile order (neighbouring programs share rows of A), 64x32x16 tiles."""

import torch
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                  stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP: tl.constexpr):
    pid = tl.program_id(0)
    tiles_m = tl.cdiv(M, BLOCK_M)
    tiles_n = tl.cdiv(N, BLOCK_N)
    per_group = GROUP * tiles_n
    first_m = (pid // per_group) * GROUP
    rows_in_group = tl.minimum(tiles_m - first_m, GROUP)
    tile_m = first_m + (pid % per_group) % rows_in_group
    tile_n = (pid % per_group) // rows_in_group
    rm = tile_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = tile_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    total = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for kk in range(0, tl.cdiv(K, BLOCK_K)):
        ks = kk * BLOCK_K + rk
        tile_a = tl.load(a_ptr + rm[:, None] * stride_am + ks[None, :] * stride_ak,
                         mask=(rm[:, None] < M) & (ks[None, :] < K), other=0.0)
        tile_b = tl.load(b_ptr + ks[:, None] * stride_bk + rn[None, :] * stride_bn,
                         mask=(ks[:, None] < K) & (rn[None, :] < N), other=0.0)
        total = tl.dot(tile_a, tile_b, acc=total)
    keep = (rm[:, None] < M) & (rn[None, :] < N)
    tl.store(c_ptr + rm[:, None] * stride_cm + rn[None, :] * stride_cn, total.to(c_ptr.dtype.element_ty), mask=keep)


def matmul(a, b, out=None):
    M, K = a.shape
    _, N = b.shape
    c = out if out is not None else torch.empty((M, N), dtype=a.dtype, device=a.device)
    bm, bn, bk = 64, 32, 16
    grid = (triton.cdiv(M, bm) * triton.cdiv(N, bn),)
    matmul_kernel[grid](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                        c.stride(0), c.stride(1), BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, GROUP=4)
    return c
