"""Fused cross-entropy split in two launches: per-row logsumexp and loss in float64 (whole chunks of 512), then a
gradient kernel on a 2-D grid (row, chunk) that reads the stored logsumexp."""

import torch
import triton
import triton.language as tl

CHUNK = 512


@triton.jit
def cross_entropy_kernel(logits_ptr, targets_ptr, loss_ptr, lse_ptr, logits_row_stride,
                         n_cols, ignore_index, BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    base = logits_ptr + r * logits_row_stride
    j = tl.arange(0, BLOCK_SIZE)
    best = tl.full((), -float("inf"), tl.float64)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        v = tl.load(base + c0 + j, mask=c0 + j < n_cols, other=-float("inf")).to(tl.float64)
        best = tl.maximum(best, tl.max(v, axis=0))
    total = tl.zeros((), tl.float64)
    for c0 in range(0, n_cols, BLOCK_SIZE):
        v = tl.load(base + c0 + j, mask=c0 + j < n_cols, other=-float("inf")).to(tl.float64)
        total += tl.sum(tl.exp(v - best), axis=0)
    lse = best + tl.log(total)
    t = tl.load(targets_ptr + r)
    keep = t != ignore_index
    picked = tl.load(base + tl.where(keep, t, 0)).to(tl.float64)
    tl.store(loss_ptr + r, tl.where(keep, lse - picked, 0.0).to(tl.float32))
    tl.store(lse_ptr + r, lse.to(tl.float32))


@triton.jit
def grad_kernel(logits_ptr, targets_ptr, lse_ptr, grad_ptr, logits_row_stride, grad_row_stride, n_cols,
                ignore_index, inv_n_valid, BLOCK_SIZE: tl.constexpr):
    r = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    inside = cols < n_cols
    t = tl.load(targets_ptr + r)
    v = tl.load(logits_ptr + r * logits_row_stride + cols, mask=inside, other=0.0).to(tl.float32)
    g = tl.exp(v - tl.load(lse_ptr + r)) - tl.where(cols == t, 1.0, 0.0)
    g = tl.where(t != ignore_index, g * inv_n_valid, 0.0)
    tl.store(grad_ptr + r * grad_row_stride + cols, g.to(grad_ptr.dtype.element_ty), mask=inside)


def cross_entropy(logits, targets, ignore_index=-100, grad_out=None):
    rows, cols = logits.shape
    grad = torch.empty((rows, cols), dtype=logits.dtype, device=logits.device) if grad_out is None else grad_out
    per_row = torch.empty(rows, dtype=torch.float32, device=logits.device)
    lse = torch.empty(rows, dtype=torch.float32, device=logits.device)
    valid = int((targets != ignore_index).sum())
    cross_entropy_kernel[(rows,)](logits, targets, per_row, lse, logits.stride(0), cols, ignore_index,
                                  BLOCK_SIZE=CHUNK)
    grad_kernel[(rows, triton.cdiv(cols, CHUNK))](logits, targets, lse, grad, logits.stride(0), grad.stride(0), cols,
                                                 ignore_index, 1.0 / max(valid, 1), BLOCK_SIZE=CHUNK)
    return per_row.sum() / valid if valid else per_row.sum() * float("nan"), grad
