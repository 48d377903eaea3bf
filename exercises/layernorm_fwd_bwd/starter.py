"""LayerNorm forward and backward in Triton (one program per row forward; row groups backward)."""

import torch
import triton
import triton.language as tl


@triton.jit
def layernorm_fwd_kernel(y_ptr, x_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, x_row_stride, y_row_stride,
                         n_cols, eps, BLOCK_SIZE: tl.constexpr):
    """Normalise row i of x (at x_ptr + i * x_row_stride) into row i of y; store mean[i] and rstd[i] (float32).

    mean = Σx / n_cols, var = Σ(x − mean)² / n_cols (biased), rstd = 1 / sqrt(var + eps),
    y = (x − mean) · rstd · w + b. BLOCK_SIZE: a power of two >= n_cols; lanes >= n_cols must not be
    read, written, or counted in the statistics. Compute in float32; store y in y's dtype.
    """
    pass  # TODO


@triton.jit
def layernorm_bwd_kernel(dx_ptr, dy_ptr, x_ptr, w_ptr, mean_ptr, rstd_ptr, dw_partial_ptr, db_partial_ptr,
                         x_row_stride, dy_row_stride, dx_row_stride, n_rows, n_cols, rows_per_program,
                         BLOCK_SIZE: tl.constexpr):
    """Program pid handles rows [pid * rows_per_program, min((pid + 1) * rows_per_program, n_rows)).

    For each row: x̂ = (x − mean) · rstd, g = w · dy,
    dx = (g − x̂ · mean(x̂ · g) − mean(g)) · rstd  (means over the n_cols real columns), stored in dx's dtype.
    Also accumulate, in float32, Σ_rows dy · x̂ and Σ_rows dy over the program's rows and store them in row pid
    of dw_partial / db_partial ((n_programs, n_cols) float32, contiguous); the wrapper sums those rows.
    """
    pass  # TODO


def layernorm_fwd(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5,
                  out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """LayerNorm over the last dimension by layernorm_fwd_kernel.

    x: (n_rows, n_cols) float32 or float16, rows contiguous (x.stride(0) may exceed n_cols);
    weight, bias: (n_cols,), x's dtype. out: optional (n_rows, n_cols) tensor for y.
    Returns (y, mean, rstd): y like x; mean and rstd (n_rows,) float32, saved for the backward.
    """
    raise NotImplementedError


def layernorm_bwd(dy: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor,
                  rstd: torch.Tensor, dx_out: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of LayerNorm by layernorm_bwd_kernel.

    dy: upstream gradient, shaped like x (rows contiguous, any row stride); x, weight: as in the forward;
    mean, rstd: what layernorm_fwd returned. dx_out: optional tensor for dx.
    Returns (dx, dweight, dbias): dx like x; dweight, dbias (n_cols,) in weight's dtype.
    """
    raise NotImplementedError
