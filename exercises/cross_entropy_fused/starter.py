"""Fused cross-entropy in Triton: per-row loss and d(mean loss)/d(logits) in one kernel, vocab in chunks."""

import torch
import triton
import triton.language as tl


@triton.jit
def cross_entropy_kernel(logits_ptr, targets_ptr, loss_ptr, grad_ptr, logits_row_stride, grad_row_stride,
                         n_cols, ignore_index, inv_n_valid, BLOCK_SIZE: tl.constexpr):
    """Row i: loss_ptr[i] = logsumexp(logits[i]) - logits[i, t] (0 if t == ignore_index), and
    grad[i, :] = (softmax(logits[i]) - onehot(t)) * inv_n_valid (all 0 if t == ignore_index).

    Row i of logits starts at logits_ptr + i * logits_row_stride (grad: grad_row_stride); targets are int64.
    n_cols (the vocabulary) may be much larger than BLOCK_SIZE: loop over the row in chunks.
    Compute in float32; store grad in grad's dtype. Columns >= n_cols must be neither read nor written.
    """
    pass  # TODO


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100,
                  grad_out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy over the rows whose target != ignore_index, and its gradient, by cross_entropy_kernel.

    logits: (n_rows, n_cols) float32 or float16, rows contiguous (stride(1) == 1; stride(0) may exceed n_cols).
    targets: (n_rows,) int64 class indices in [0, n_cols) or ignore_index.
    grad_out: optional (n_rows, n_cols) tensor of logits' dtype to write the gradient into.
    Returns (loss, grad): loss a float32 0-dim tensor (the mean over non-ignored rows),
    grad = d loss / d logits, shaped like logits, logits' dtype.
    """
    raise NotImplementedError
