"""Gradient stored without the column mask: the last chunk writes past the end of the row."""

import torch
import triton
import triton.language as tl


@triton.jit
def cross_entropy_kernel(logits_ptr, targets_ptr, loss_ptr, grad_ptr, logits_row_stride, grad_row_stride,
                         n_cols, ignore_index, inv_n_valid, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    logits_ptr += row * logits_row_stride
    grad_ptr += row * grad_row_stride
    offs = tl.arange(0, BLOCK_SIZE)
    target = tl.load(targets_ptr + row)
    valid = target != ignore_index
    safe_target = tl.where(valid, target, 0)  # never index the row with ignore_index (-100)

    # pass 1: online logsumexp over the row, chunk by chunk
    m = tl.full((), -float("inf"), tl.float32)
    s = tl.zeros((), tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + offs
        x = tl.load(logits_ptr + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        m_new = tl.maximum(m, tl.max(x, axis=0))
        s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
        m = m_new
    lse = m + tl.log(s)

    x_target = tl.load(logits_ptr + safe_target).to(tl.float32)
    tl.store(loss_ptr + row, tl.where(valid, lse - x_target, 0.0))

    # pass 2: grad = (softmax - onehot) / n_valid, zero for ignored rows
    g_scale = tl.where(valid, inv_n_valid, 0.0)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + offs
        mask = cols < n_cols
        x = tl.load(logits_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        p = tl.exp(x - lse)
        g = (p - tl.where(cols == safe_target, 1.0, 0.0)) * g_scale
        tl.store(grad_ptr + cols, g.to(grad_ptr.dtype.element_ty))


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100,
                  grad_out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    assert logits.dim() == 2 and logits.stride(1) == 1
    n_rows, n_cols = logits.shape
    targets = targets.contiguous()
    if grad_out is None:
        grad_out = torch.empty((n_rows, n_cols), dtype=logits.dtype, device=logits.device)
    losses = torch.empty(n_rows, dtype=torch.float32, device=logits.device)
    n_valid = int((targets != ignore_index).sum())
    BLOCK_SIZE = min(triton.next_power_of_2(n_cols), 1024)
    cross_entropy_kernel[(n_rows,)](logits, targets, losses, grad_out, logits.stride(0), grad_out.stride(0),
                                    n_cols, ignore_index, 1.0 / max(n_valid, 1), BLOCK_SIZE=BLOCK_SIZE)
    loss = losses.sum() / n_valid if n_valid else torch.tensor(float("nan"), device=logits.device)
    return loss, grad_out
