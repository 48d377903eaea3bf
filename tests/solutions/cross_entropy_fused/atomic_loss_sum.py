"""Fused cross-entropy with 128-wide chunks: each row adds loss / n_valid into one float32 scalar with
tl.atomic_add (zero-initialised), so the wrapper does no reduction at all."""

import torch
import triton
import triton.language as tl


@triton.jit
def cross_entropy_kernel(logits_ptr, targets_ptr, loss_ptr, grad_ptr, logits_row_stride, grad_row_stride,
                         n_cols, ignore_index, inv_n_valid, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    src = logits_ptr + row * logits_row_stride
    lanes = tl.arange(0, BLOCK_SIZE)
    target = tl.load(targets_ptr + row)
    counted = target != ignore_index
    m_vec = tl.full((BLOCK_SIZE,), -float("inf"), tl.float32)
    s_vec = tl.zeros((BLOCK_SIZE,), tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        v = tl.load(src + start + lanes, mask=start + lanes < n_cols, other=-float("inf")).to(tl.float32)
        m_next = tl.maximum(m_vec, v)
        # lanes that have only seen -inf keep a zero sum (avoid exp(-inf - -inf) = NaN)
        s_vec = tl.where(m_next == -float("inf"), 0.0, s_vec * tl.exp(m_vec - m_next) + tl.exp(v - m_next))
        m_vec = m_next
    m = tl.max(m_vec, axis=0)
    lse = m + tl.log(tl.sum(tl.where(m_vec == -float("inf"), 0.0, s_vec * tl.exp(m_vec - m)), axis=0))
    x_t = tl.load(src + tl.where(counted, target, 0)).to(tl.float32)
    tl.atomic_add(loss_ptr, tl.where(counted, (lse - x_t) * inv_n_valid, 0.0))
    for start in range(0, n_cols, BLOCK_SIZE):
        c = start + lanes
        v = tl.load(src + c, mask=c < n_cols, other=0.0).to(tl.float32)
        g = (tl.exp(v - lse) - (c == target).to(tl.float32)) * tl.where(counted, inv_n_valid, 0.0)
        tl.store(grad_ptr + row * grad_row_stride + c, g.to(grad_ptr.dtype.element_ty), mask=c < n_cols)


def cross_entropy(logits, targets, ignore_index=-100, grad_out=None):
    n_rows, n_cols = logits.shape
    if grad_out is None:
        grad_out = torch.empty_like(logits, memory_format=torch.contiguous_format)
    loss = torch.zeros((), dtype=torch.float32, device=logits.device)
    n_valid = int((targets != ignore_index).sum())
    cross_entropy_kernel[(n_rows,)](logits, targets.contiguous(), loss, grad_out, logits.stride(0),
                                    grad_out.stride(0), n_cols, ignore_index, 1.0 / max(n_valid, 1),
                                    BLOCK_SIZE=128)
    if n_valid == 0:
        loss.fill_(float("nan"))
    return loss, grad_out
