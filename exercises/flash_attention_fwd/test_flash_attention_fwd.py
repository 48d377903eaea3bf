"""Hidden suite for flash_attention_fwd: online-softmax attention kernel vs torch SDPA (float64 reference)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     guarded, padded, require_memory_safe, sizes, speed_note)

import math

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, is_close, mistake_labels

LABELS = mistake_labels(__file__)

# (B, H, seq_q, seq_k, D): sequence lengths never a multiple of a power-of-two block
SHAPES = sizes([(1, 1, 1, 1, 16), (1, 2, 37, 37, 16), (2, 1, 50, 70, 32), (1, 2, 100, 33, 16)],
               [(1, 1, 1, 1, 16), (1, 2, 37, 37, 16), (2, 1, 50, 70, 32), (2, 4, 1000, 1000, 64),
                (1, 8, 777, 2049, 128)])


def tol():
    """float32 (rtol, atol): tight in the interpreter; on a GPU tl.dot uses tf32 by default."""
    return (1e-4, 1e-5) if INTERPRETER else (1e-2, 5e-3)


def make(b, h, lq, lk, d, seed, scale=1.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, h, lq, d, generator=g, dtype=torch.float64) * scale
    k = torch.randn(b, h, lk, d, generator=g, dtype=torch.float64) * scale
    v = torch.randn(b, h, lk, d, generator=g, dtype=torch.float64)
    return q.to(dtype).to(DEVICE), k.to(dtype).to(DEVICE), v.to(dtype).to(DEVICE)


def reference(q, k, v, causal=False, sm_scale=None):
    """torch SDPA in float64 (is_causal: query i sees keys 0..i, top-left aligned when seq_q != seq_k)."""
    return F.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=causal, scale=sm_scale)


def manual(q, k, v, causal=False, scale=None, diagonal=0):
    q, k, v = q.double(), k.double(), v.double()
    s = q @ k.transpose(-1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        keep = torch.ones(s.shape[-2:], dtype=torch.bool, device=s.device).tril(diagonal)
        s = s.masked_fill(~keep, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def mistakes(q, k, v, causal=False):
    shift = k.shape[2] - q.shape[2]
    return {LABELS["no_sm_scale"]: manual(q, k, v, causal, scale=1.0),
            LABELS["causal_off_by_one"]: manual(q, k, v, True, diagonal=-1) if causal else None,
            LABELS["causal_bottom_right"]: manual(q, k, v, True, diagonal=shift) if causal and shift else None,
            LABELS["causal_ignored"]: manual(q, k, v, False) if causal else None}


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_query_tail_masked_and_strides_used(solution, causal):
    """Q/K/V inside NaN-padded buffers with gaps between heads and rows; O inside a sentinel-filled buffer."""
    b, h, lq, lk, d = 2, 2, 45, 45 if causal else 51, 16
    q, k, v = make(b, h, lq, lk, d, seed=3 + causal)
    qp = padded(q, extra=(0, 1, 7, 5), pad=8192)
    kp = padded(k, extra=(0, 0, 9, 3), pad=8192)
    vp = padded(v, extra=(0, 1, 3, 1), pad=8192)
    guard = guarded(q.shape, torch.float32, extra=(0, 1, 5, 3), pad=8192)
    result = solution.flash_attention(qp, kp, vp, causal=causal, out=guard.tensor)
    guard.check("O")
    rtol, atol = tol()
    assert_close(guard.tensor, reference(q, k, v, causal), rtol=rtol, atol=atol,
                 name=f"attention {'causal' if causal else 'full'} (strided q, k, v, out)",
                 mistakes=mistakes(q, k, v, causal))
    assert result is None or result.data_ptr() == guard.tensor.data_ptr(), \
        "when out= is given, write into it and return it"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_matches_sdpa(solution, shape, causal, record_property):
    require_memory_safe()
    b, h, lq, lk, d = shape
    q, k, v = make(b, h, lq, lk, d, seed=lq * 13 + lk + causal)
    out = solution.flash_attention(q, k, v, causal=causal)
    assert out is not None, "flash_attention returned None: return O"
    rtol, atol = tol()
    assert_close(out, reference(q, k, v, causal), rtol=rtol, atol=atol, dtype="float32",
                 name=f"attention {'causal' if causal else 'full'} (B, H, Lq, Lk, D) = {(b, h, lq, lk, d)}",
                 mistakes=mistakes(q, k, v, causal))
    if shape == SHAPES[-1]:
        record_property("note", speed_note(
            lambda: solution.flash_attention(q, k, v, causal=causal),
            lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), label="torch SDPA", tf32=True))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_padding_keys_are_masked(solution):
    """seq_k = 33 leaves most of the last key block empty: those lanes must get score -inf, not 0."""
    require_memory_safe()
    q, k, v = make(1, 1, 20, 33, 16, seed=5)
    out = solution.flash_attention(q, k, v)
    rtol, atol = tol()
    pad_keys = torch.cat([k, torch.zeros(1, 1, 31, 16, dtype=k.dtype, device=k.device)], dim=2)
    pad_vals = torch.cat([v, torch.zeros(1, 1, 31, 16, dtype=v.dtype, device=v.device)], dim=2)
    assert_close(out, reference(q, k, v), rtol=rtol, atol=atol, name="attention with seq_k = 33",
                 mistakes={LABELS["key_tail_not_masked"]: manual(q, pad_keys, pad_vals)})


def test_running_max_rescales_the_accumulator(solution):
    """Later keys score much higher than earlier ones, so the running max grows block after block."""
    require_memory_safe()
    q, k, v = make(1, 1, 16, 200, 16, seed=6)
    q = q.abs() + 0.5
    ramp = torch.linspace(0, 3, 200, dtype=k.dtype, device=k.device)[None, None, :, None]
    k = k.abs() * ramp
    out = solution.flash_attention(q, k, v)
    rtol, atol = tol()
    try:
        assert_close(out, reference(q, k, v), rtol=rtol, atol=atol, name="attention with a growing running max")
    except AssertionError as exc:
        # keys in reverse order put the largest scores in the first block: right there means no rescaling
        flipped = solution.flash_attention(q, k.flip(2).contiguous(), v.flip(2).contiguous())
        if not is_close(flipped, reference(q, k, v), rtol=rtol, atol=atol):
            raise
        raise AssertionError(f"{exc}\n  the same keys in reverse order (largest scores first) come out right: when "
                             "the running max grows from m_old to m_new, both the denominator and the accumulator "
                             "must be multiplied by exp(m_old - m_new)") from None


def test_large_scores_do_not_overflow(solution):
    """|q·k| · sm_scale reaches several hundred: exp overflows unless the running max is subtracted."""
    require_memory_safe()
    q, k, v = make(1, 2, 40, 40, 16, seed=7, scale=8.0)
    out = solution.flash_attention(q, k, v)
    bad = int((~torch.isfinite(out)).sum())
    assert bad == 0, (f"{bad} of {out.numel()} outputs are inf/NaN for large scores: subtract the running row max "
                      "before exponentiating (online softmax)")
    rtol, atol = tol()
    assert_close(out, reference(q, k, v), rtol=rtol, atol=max(atol, 1e-4), name="attention with large scores")


@pytest.mark.parametrize("lq, lk", [(20, 45), (45, 20)], ids=["fewer_queries", "more_queries"])
def test_causal_mask_is_top_left_aligned(solution, lq, lk):
    """seq_q != seq_k: query i sees keys 0 … i (as SDPA's is_causal), not the bottom-right aligned keys
    0 … i + seq_k − seq_q of a KV-cache decoding mask."""
    require_memory_safe()
    q, k, v = make(1, 2, lq, lk, 16, seed=12 + lq)
    out = solution.flash_attention(q, k, v, causal=True)
    rtol, atol = tol()
    assert_close(out, reference(q, k, v, causal=True), rtol=rtol, atol=atol,
                 name=f"causal attention with seq_q = {lq}, seq_k = {lk}", mistakes=mistakes(q, k, v, True))


def test_head_dim_strides_used(solution):
    """q, k, v and out whose last dimension is strided (every other element of wider tensors): address it with
    stride_qd, stride_kd, stride_vd and stride_od; the elements of out's buffer between them stay untouched."""
    require_memory_safe()
    q, k, v = (t[..., ::2] for t in make(1, 2, 20, 24, 32, seed=14))
    buffer = torch.full((1, 2, 20, 32), -12345.0, device=DEVICE)
    out = buffer[..., 1::2]
    assert q.stride(3) == k.stride(3) == v.stride(3) == out.stride(3) == 2
    solution.flash_attention(q, k, v, out=out)
    touched = int((buffer[..., 0::2] != -12345.0).sum())
    assert touched == 0, (f"{touched} elements between the components of O were written: address the head dimension "
                          "of out with stride_od")
    rtol, atol = tol()
    assert_close(out, reference(q, k, v), rtol=rtol, atol=atol,
                 name="attention with a strided head dimension (stride_qd = stride_kd = stride_vd = stride_od = 2)")


def test_every_output_element_comes_from_the_kernel(solution):
    require_memory_safe()
    for causal in (False, True):
        q, k, v = make(1, 2, 40, 40, 16, seed=13)
        out = torch.zeros_like(q)
        assert_kernel_did_the_work(solution, lambda: solution.flash_attention(q, k, v, causal=causal, out=out),
                                   inputs=(q, k, v), names=[f"O ({'causal' if causal else 'full'}, out=)"])
        assert_kernel_did_the_work(solution, lambda: solution.flash_attention(q, k, v, causal=causal),
                                   inputs=(q, k, v), names=[f"O ({'causal' if causal else 'full'})"])
    q1, k1, v1 = make(1, 2, 1, 40, 16, seed=15)  # one query (a decoding step): no special case for it either
    assert_kernel_did_the_work(solution, lambda: solution.flash_attention(q1, k1, v1), inputs=(q1, k1, v1),
                               names=["O of a single query"])


def test_causal_first_query_sees_only_itself(solution):
    require_memory_safe()
    q, k, v = make(1, 1, 37, 37, 16, seed=8)
    out = solution.flash_attention(q, k, v, causal=True)
    first = out[0, 0, 0].double()
    assert torch.isfinite(first).all(), ("query 0 got NaN: under a causal mask it must still see key 0 "
                                         "(keep j <= i, not j < i)")
    assert_close(first, v[0, 0, 0].double(), rtol=1e-4, atol=1e-5, name="causal output of query 0 (must equal v[0])")


@pytest.mark.parametrize("sm_scale", [0.3, 0.0])
def test_custom_sm_scale(solution, sm_scale):
    """A given sm_scale is used as it is, 0.0 included (uniform attention: the mean of v), never replaced by 1/sqrt(D)."""
    require_memory_safe()
    q, k, v = make(1, 1, 30, 30, 32, seed=9)
    out = solution.flash_attention(q, k, v, sm_scale=sm_scale)
    rtol, atol = tol()
    default = "sm_scale_zero_treated_as_default" if sm_scale == 0 else "sm_scale_argument_ignored"
    assert_close(out, reference(q, k, v, sm_scale=sm_scale), rtol=rtol, atol=atol,
                 name=f"attention with sm_scale={sm_scale}",
                 mistakes={LABELS[default]: manual(q, k, v), LABELS["no_sm_scale"]: manual(q, k, v, scale=1.0)})


def test_float16_inputs(solution):
    require_memory_safe()
    q, k, v = make(1, 2, 50, 70, 32, seed=10, dtype=torch.float16)
    out = solution.flash_attention(q, k, v)
    assert_close(out, reference(q, k, v), rtol=1e-2, atol=2e-3, name="attention (float16)", dtype="float16")


def test_float16_accumulator_is_float32(solution):
    """Near-uniform attention over 1200 keys with values ≈ 60: Σ p·v ≈ 7e4 overflows a float16 accumulator."""
    require_memory_safe()
    q, k, v = make(1, 1, 16, 1200, 16, seed=11, scale=0.1, dtype=torch.float16)
    v = (v.float() + 60).half()
    out = solution.flash_attention(q, k, v)
    bad = int((~torch.isfinite(out)).sum())
    assert bad == 0, (f"{bad} of {out.numel()} outputs are inf/NaN: the running sum Σ p·v (≈ 7e4 here) overflowed "
                      "float16 (max 65504); keep acc and l in float32 and cast only when storing")
    assert_close(out, reference(q, k, v), rtol=2e-3, atol=2e-2, name="attention (float16, 1200 keys, values ≈ 60)")


def test_kernel_is_launched(solution):
    require_memory_safe()
    q, k, v = make(1, 1, 20, 20, 16, seed=2)
    assert_kernel_launched(solution.flash_attn_fwd_kernel, lambda: solution.flash_attention(q, k, v))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_speed_fp16_long_sequence(solution, causal, record_property):
    require_memory_safe()
    q, k, v = make(4, 16, 4096, 4096, 64, seed=21, dtype=torch.float16)
    out = solution.flash_attention(q, k, v, causal=causal)
    expected = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), is_causal=causal)
    assert_close(out, expected, rtol=1e-2, atol=5e-3, name="attention (4x16x4096x64, float16)")
    record_property("note", speed_note(lambda: solution.flash_attention(q, k, v, causal=causal),
                                       lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                                       label="torch SDPA"))
