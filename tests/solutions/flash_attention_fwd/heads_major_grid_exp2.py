"""FlashAttention forward with grid (B·H, query blocks), 16-row query blocks, 64-key tiles, the softmax in base 2
(scores pre-multiplied by log2(e)) and the causal bound computed on the host side of the loop."""

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
    bh = tl.program_id(0)
    rows = tl.program_id(1) * BLOCK_M + tl.arange(0, BLOCK_M)
    batch = bh // n_heads
    head = bh % n_heads
    d = tl.arange(0, HEAD_DIM)
    keys = tl.arange(0, BLOCK_N)
    q = tl.load(q_ptr + batch * stride_qb + head * stride_qh + rows[:, None] * stride_qm + d[None, :] * stride_qd,
                mask=rows[:, None] < seq_q, other=0.0)
    k_base = k_ptr + batch * stride_kb + head * stride_kh
    v_base = v_ptr + batch * stride_vb + head * stride_vh
    row_max = tl.full((BLOCK_M,), -float("inf"), tl.float32)
    denom = tl.zeros((BLOCK_M,), tl.float32)
    numer = tl.zeros((BLOCK_M, HEAD_DIM), tl.float32)
    scale2 = sm_scale * 1.4426950408889634
    end = seq_k
    if CAUSAL:
        end = tl.minimum(seq_k, tl.program_id(1) * BLOCK_M + BLOCK_M)
    for n0 in range(0, end, BLOCK_N):
        kn = n0 + keys
        kt = tl.load(k_base + kn[:, None] * stride_kn + d[None, :] * stride_kd, mask=kn[:, None] < seq_k, other=0.0)
        s = tl.dot(q, tl.trans(kt)).to(tl.float32) * scale2
        allowed = kn[None, :] < seq_k
        if CAUSAL:
            allowed = allowed & (kn[None, :] <= rows[:, None])
        s = tl.where(allowed, s, -float("inf"))
        new_max = tl.maximum(row_max, tl.max(s, axis=1))
        correction = tl.exp2(row_max - new_max)
        p = tl.exp2(s - new_max[:, None])
        denom = denom * correction + tl.sum(p, axis=1)
        vt = tl.load(v_base + kn[:, None] * stride_vn + d[None, :] * stride_vd, mask=kn[:, None] < seq_k, other=0.0)
        numer = numer * correction[:, None] + tl.dot(p.to(vt.dtype), vt).to(tl.float32)
        row_max = new_max
    o = numer / denom[:, None]
    tl.store(o_ptr + batch * stride_ob + head * stride_oh + rows[:, None] * stride_om + d[None, :] * stride_od,
             o.to(o_ptr.dtype.element_ty), mask=rows[:, None] < seq_q)


def flash_attention(q, k, v, causal=False, sm_scale=None, out=None):
    b, h, lq, d = q.shape
    lk = k.shape[2]
    scale = 1.0 / math.sqrt(d) if sm_scale is None else sm_scale
    o = out if out is not None else torch.empty_like(q)
    grid = (b * h, triton.cdiv(lq, 16))
    flash_attn_fwd_kernel[grid](q, k, v, o, *q.stride(), *k.stride(), *v.stride(), *o.stride(), h, lq, lk, scale,
                                CAUSAL=causal, BLOCK_M=16, BLOCK_N=64, HEAD_DIM=d)
    return o
