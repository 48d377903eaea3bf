"""FlashAttention forward keeping the online-softmax state (max, denominator, accumulator) in float64,
64-query blocks and 16-key tiles, keys of later tiles masked per element only (no early loop bound)."""

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
    m_block = tl.program_id(0)
    z = tl.program_id(1)
    b = z // n_heads
    h = z % n_heads
    i = m_block * BLOCK_M + tl.arange(0, BLOCK_M)
    d = tl.arange(0, HEAD_DIM)
    q = tl.load(q_ptr + b * stride_qb + h * stride_qh + i[:, None] * stride_qm + d[None, :] * stride_qd,
                mask=i[:, None] < seq_q, other=0.0).to(tl.float32)
    m = tl.full((BLOCK_M,), -float("inf"), tl.float64)
    l = tl.zeros((BLOCK_M,), tl.float64)
    acc = tl.zeros((BLOCK_M, HEAD_DIM), tl.float64)
    for start in range(0, seq_k, BLOCK_N):
        j = start + tl.arange(0, BLOCK_N)
        live = j < seq_k
        k = tl.load(k_ptr + b * stride_kb + h * stride_kh + j[:, None] * stride_kn + d[None, :] * stride_kd,
                    mask=live[:, None], other=0.0).to(tl.float32)
        v = tl.load(v_ptr + b * stride_vb + h * stride_vh + j[:, None] * stride_vn + d[None, :] * stride_vd,
                    mask=live[:, None], other=0.0).to(tl.float32)
        s = (tl.dot(q, tl.trans(k)) * sm_scale).to(tl.float64)
        keep = live[None, :] & (i[:, None] >= 0)
        if CAUSAL:
            keep = keep & (j[None, :] <= i[:, None])
        s = tl.where(keep, s, -float("inf"))
        m_next = tl.maximum(m, tl.max(s, axis=1))
        # rows that have seen no allowed key yet keep m = -inf: use 0 as the shift so exp stays defined
        shift = tl.where(m_next == -float("inf"), 0.0, m_next)
        p = tl.exp(s - shift[:, None])
        alpha = tl.exp(m - shift)
        l = l * alpha + tl.sum(p, axis=1)
        acc = acc * alpha[:, None] + tl.dot(p.to(tl.float32), v).to(tl.float64)
        m = m_next
    out = acc / l[:, None]
    tl.store(o_ptr + b * stride_ob + h * stride_oh + i[:, None] * stride_om + d[None, :] * stride_od,
             out.to(o_ptr.dtype.element_ty), mask=i[:, None] < seq_q)


def flash_attention(q, k, v, causal=False, sm_scale=None, out=None):
    batch, heads, seq_q, dim = q.shape
    if out is None:
        out = torch.empty(q.shape, dtype=q.dtype, device=q.device)
    flash_attn_fwd_kernel[(triton.cdiv(seq_q, 64), batch * heads)](
        q, k, v, out, *q.stride(), *k.stride(), *v.stride(), *out.stride(), heads, seq_q, k.shape[2],
        1.0 / math.sqrt(dim) if sm_scale is None else sm_scale,
        CAUSAL=causal, BLOCK_M=64, BLOCK_N=16, HEAD_DIM=dim)
    return out
