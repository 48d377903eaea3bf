"""Hidden suite for rmsnorm_fwd: RMSNorm forward kernel (Triton interpreter on CPU, full sizes on a GPU)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     assert_within_ulps, guarded, padded, require_memory_safe,
                                     sizes, speed_note)

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)

SHAPES = sizes([(1, 1), (3, 7), (5, 100), (4, 1000), (2, 3, 33)],
               [(1, 1), (3, 7), (5, 100), (64, 1000), (4, 33, 4097), (4096, 781)])


def make(shape, seed, scale=1.0, shift=0.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * scale + shift
    w = 1.0 + 0.5 * torch.randn(shape[-1], generator=g, dtype=torch.float64)
    return x.to(dtype).to(DEVICE), w.to(dtype).to(DEVICE)


def reference(x, w, eps):
    x, w = x.double(), w.double()
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def wrong_eps_outside(x, w, eps):
    x, w = x.double(), w.double()
    return x / (torch.sqrt((x * x).mean(dim=-1, keepdim=True)) + eps) * w


def wrong_block_mean(x, w, eps):
    x, w = x.double(), w.double()
    block = 1 << (x.shape[-1] - 1).bit_length()
    return x / torch.sqrt((x * x).sum(dim=-1, keepdim=True) / block + eps) * w


def wrong_centred(x, w, eps):
    return reference(x.double() - x.double().mean(dim=-1, keepdim=True), w, eps)


def mistakes(x, w, eps):
    block = 1 << (x.shape[-1] - 1).bit_length()
    return {LABELS["mean_over_block_size"]: wrong_block_mean(x, w, eps) if block > x.shape[-1] else None,
            LABELS["eps_outside_sqrt"]: wrong_eps_outside(x, w, eps),
            LABELS["centred_like_layernorm"]: wrong_centred(x, w, eps)}


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("shape", [(3, 7), (6, 100), (2, 1000), (5, 1)])
def test_tail_columns_masked_and_row_strides_used(solution, shape):
    """x is a slice of a wider NaN-padded tensor, out a slice of a sentinel-filled one (stride(0) > n_cols)."""
    x, w = make(shape, seed=sum(shape))
    xp, wp = padded(x, row_pad=5, pad=2048), padded(w, pad=2048)
    guard = guarded(shape, torch.float32, row_pad=3, pad=2048)
    result = solution.rmsnorm(xp, wp, 1e-6, out=guard.tensor)
    guard.check("out")
    assert_close(guard.tensor, reference(x, w, 1e-6), rtol=1e-5, atol=1e-5, name=f"rmsnorm {shape} (strided rows)",
                 mistakes=mistakes(x, w, 1e-6))
    assert result is None or result.data_ptr() == guard.tensor.data_ptr(), \
        "when out= is given, write into it and return it"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_float64_reference(solution, shape, record_property):
    require_memory_safe()
    x, w = make(shape, seed=len(shape) * 100 + shape[-1])
    out = solution.rmsnorm(x, w, 1e-6)
    assert out is not None, "rmsnorm returned None: return the output tensor"
    assert_close(out, reference(x, w, 1e-6), rtol=1e-5, atol=1e-5, name=f"rmsnorm {shape}", dtype="float32",
                 mistakes=mistakes(x, w, 1e-6))
    if shape == SHAPES[-1]:
        record_property("note", speed_note(lambda: solution.rmsnorm(x, w, 1e-6),
                                           lambda: torch.nn.functional.rms_norm(x, (shape[-1],), w, 1e-6)))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_mean_divides_by_n_cols_not_block_size(solution):
    """100 columns live in a 128-wide block: the mean of x² must divide by 100."""
    require_memory_safe()
    x, w = make((4, 100), seed=3)
    out = solution.rmsnorm(x, w, 1e-6)
    assert_close(out, reference(x, w, 1e-6), rtol=1e-5, atol=1e-5, name="rmsnorm (4, 100)",
                 mistakes=mistakes(x, w, 1e-6))


def test_eps_inside_the_square_root(solution):
    """Small activations (rms ≈ 1e-3) with eps = 1e-4: sqrt(ms + eps) and sqrt(ms) + eps differ a lot."""
    require_memory_safe()
    x, w = make((3, 50), seed=4, scale=1e-3)
    out = solution.rmsnorm(x, w, 1e-4)
    assert_close(out, reference(x, w, 1e-4), rtol=1e-4, atol=1e-5, name="rmsnorm with eps=1e-4",
                 mistakes={LABELS["eps_outside_sqrt"]: wrong_eps_outside(x, w, 1e-4)})


def test_default_eps_is_1e_6(solution):
    """rms ≈ 1e-3, so mean(x²) ≈ 1e-6: the default eps = 1e-6 changes the result by about 30 %."""
    require_memory_safe()
    x, w = make((3, 50), seed=14, scale=1e-3)
    out = solution.rmsnorm(x, w)
    assert_close(out, reference(x, w, 1e-6), rtol=1e-4, atol=1e-5, name="rmsnorm(x, weight) with the default eps",
                 mistakes={LABELS["default_eps_wrong"]: reference(x, w, 1e-5)})


def test_non_contiguous_3d_input(solution):
    """x = a transposed (B, L, n) view: its rows are not evenly spaced, so reshape (a copy) rather than view; small
    activations with eps = 1e-4, which must reach the kernel on this path too."""
    require_memory_safe()
    base, w = make((5, 3, 40), seed=15, scale=1e-2)
    x = base.transpose(0, 1)
    assert not x.is_contiguous()
    out = solution.rmsnorm(x, w, 1e-4)
    assert tuple(out.shape) == tuple(x.shape), f"shape {tuple(out.shape)}, expected {tuple(x.shape)} (like x)"
    assert_close(out, reference(x, w, 1e-4), rtol=1e-5, atol=1e-5, name="rmsnorm of a transposed 3-D view, eps=1e-4",
                 mistakes=mistakes(x, w, 1e-4))


def test_one_dimensional_input(solution):
    """x of shape (n_cols,): a single row, and the output keeps x's shape."""
    require_memory_safe()
    x, w = make((1, 37), seed=18)
    out = solution.rmsnorm(x[0], w, 1e-6)
    assert tuple(out.shape) == (37,), f"shape {tuple(out.shape)}, expected (37,) (like x)"
    assert_close(out, reference(x, w, 1e-6)[0], rtol=1e-5, atol=1e-5, name="rmsnorm of a 1-D x")


def test_every_output_element_comes_from_the_kernel(solution):
    require_memory_safe()
    x, w = make((6, 70), seed=16)
    x = padded(x, row_pad=3)
    out = torch.zeros(6, 70, device=DEVICE)
    assert_kernel_did_the_work(solution, lambda: solution.rmsnorm(x, w, 1e-6, out=out), inputs=(x, w), names=["out"])
    x3, _ = make((2, 3, 70), seed=17)
    assert_kernel_did_the_work(solution, lambda: solution.rmsnorm(x3, w, 1e-6), inputs=(x3, w),
                               names=["rmsnorm(x, weight) of a 3-D x"])
    one_row, _ = make((1, 70), seed=18)  # no special case for a single row either
    assert_kernel_did_the_work(solution, lambda: solution.rmsnorm(one_row, w, 1e-6), inputs=(one_row, w),
                               names=["rmsnorm of a single row"])


def test_not_centred(solution):
    """Rows with a large mean: RMSNorm keeps it (no mean subtraction, unlike LayerNorm)."""
    require_memory_safe()
    x, w = make((4, 30), seed=5, shift=3.0)
    out = solution.rmsnorm(x, w, 1e-6)
    assert_close(out, reference(x, w, 1e-6), rtol=1e-5, atol=1e-5, name="rmsnorm of shifted rows",
                 mistakes={LABELS["centred_like_layernorm"]: wrong_centred(x, w, 1e-6)})


def test_zero_row_gives_zero_not_nan(solution):
    require_memory_safe()
    x, w = make((3, 20), seed=6)
    x[1] = 0
    out = solution.rmsnorm(x, w, 1e-6)
    assert torch.isfinite(out).all(), "a row of zeros produced inf/NaN: eps belongs inside the square root"
    assert_close(out, reference(x, w, 1e-6), rtol=1e-5, atol=1e-5, name="rmsnorm with a zero row")


def test_float16_wide_rows_accumulate_in_float32(solution):
    """float16 rows of 3000 values with std 8: the sum of squares (≈ 2e5) overflows float16 (max 65504)."""
    require_memory_safe()
    x, w = make((4, 3000), seed=7, scale=8.0, dtype=torch.float16)
    out = solution.rmsnorm(x, w, 1e-6)
    bad = int((~torch.isfinite(out)).sum()) + int((out == 0).sum())
    assert out.dtype == torch.float16, f"dtype {out.dtype}, expected float16 (the input's dtype)"
    assert bad < out.numel() // 10, (f"{bad} of {out.numel()} outputs are 0/inf/NaN: the sum of squares overflowed "
                                     "float16; convert x to float32 (x.to(tl.float32)) before squaring and summing")
    assert_within_ulps(out, reference(x, w, 1e-6), name="rmsnorm (float16, float32 inside: within 1 ulp)")


def test_kernel_is_launched(solution):
    require_memory_safe()
    x, w = make((4, 40), seed=2)
    assert_kernel_launched(solution.rmsnorm_kernel, lambda: solution.rmsnorm(x, w, 1e-6))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_llm_hidden_size(solution, record_property):
    require_memory_safe()
    x, w = make((8192, 4096), seed=21, dtype=torch.float16)
    out = solution.rmsnorm(x, w, 1e-6)
    assert_close(out, reference(x, w, 1e-6), rtol=5e-3, atol=5e-3, name="rmsnorm (8192 x 4096, float16)")
    record_property("note", speed_note(lambda: solution.rmsnorm(x, w, 1e-6),
                                       lambda: torch.nn.functional.rms_norm(x, (4096,), w, 1e-6)))


def test_variant_eps_and_shape(solution, variant):
    # A review may ask a large eps on small activations or a single wide row; the core run: (4, 40), eps 1e-6.
    require_memory_safe()
    shape, eps = tuple(variant.get("shape", (4, 40))), variant.get("eps", 1e-6)
    x, w = make(shape, seed=93, scale=variant.get("scale", 1.0))
    out = solution.rmsnorm(x, w, eps)
    assert out is not None, "rmsnorm returned None: return the output tensor"
    assert_close(out, reference(x, w, eps), rtol=1e-5, atol=1e-5, name=f"rmsnorm {shape}, eps={eps}",
                 dtype="float32", mistakes=mistakes(x, w, eps))
