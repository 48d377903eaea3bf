"""FlashAttention forward in Triton: tiles of K/V streamed through an online softmax, O(L) memory."""

import math

import torch
import triton
import triton.language as tl


@triton.jit
def flash_attn_fwd_kernel(q_ptr, k_ptr, v_ptr, o_ptr,
                          stride_qb, stride_qh, stride_qm, stride_qd,
                          stride_kb, stride_kh, stride_kn, stride_kd,
                          stride_vb, stride_vh, stride_vn, stride_vd,
                          stride_ob, stride_oh, stride_om, stride_od,
                          n_heads, seq_q, seq_k, sm_scale,
                          CAUSAL: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                          HEAD_DIM: tl.constexpr):
    """One program = one block of BLOCK_M queries of one (batch, head); grid = (cdiv(seq_q, BLOCK_M), B * H).

    Element (b, h, i, d) of Q is at q_ptr + b*stride_qb + h*stride_qh + i*stride_qm + d*stride_qd (same for K, V, O).
    Stream K and V in blocks of BLOCK_N keys, keeping a running row max m, a running denominator l and a
    float32 accumulator; scores are (q · k) * sm_scale. CAUSAL: query i sees keys j <= i only.
    Queries >= seq_q and keys >= seq_k must be neither used nor written. HEAD_DIM: a power of two.
    """
    pass  # TODO


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False,
                    sm_scale: float | None = None, out: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q kᵀ · sm_scale [+ causal mask]) v, computed by flash_attn_fwd_kernel.

    q: (B, H, seq_q, D); k, v: (B, H, seq_k, D); float32 or float16 (all the same), any strides;
    D in {16, 32, 64, 128}. causal=True: query i attends to keys 0..i (top-left aligned, also when seq_q != seq_k).
    sm_scale: defaults to 1 / sqrt(D). out: optional tensor shaped like q to write into.
    Returns out: (B, H, seq_q, D), q's dtype.
    """
    raise NotImplementedError
