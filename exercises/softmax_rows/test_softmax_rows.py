"""Hidden suite for softmax_rows: row-wise softmax kernel (Triton interpreter on CPU, full sizes on a GPU)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     assert_within_ulps, guarded, padded, require_memory_safe,
                                     sizes, speed_note)

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)

SHAPES = sizes([(1, 1), (3, 7), (5, 100), (4, 1000), (9, 33)],
               [(1, 1), (3, 7), (5, 100), (64, 1000), (257, 4097), (4096, 781)])


def logits(shape, seed, scale=3.0, shift=0.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale + shift).to(dtype).to(DEVICE)


def reference(x):
    return torch.softmax(x.double(), dim=-1)


def wrong_padding(x, block, fill=0.0):
    """Softmax where the padding lanes up to ``block`` count as logits equal to ``fill``; None without padding."""
    if block == x.shape[-1]:
        return None
    x = x.double()
    m = torch.clamp(x.max(dim=-1, keepdim=True).values, min=fill)
    e = torch.exp(x - m)
    return e / (e.sum(dim=-1, keepdim=True) + (block - x.shape[-1]) * torch.exp(fill - m))


def block_of(n_cols):
    return 1 << (n_cols - 1).bit_length()


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("shape", [(3, 7), (6, 100), (2, 1000), (5, 1)])
def test_tail_columns_masked_and_row_strides_used(solution, shape):
    """x is a slice of a wider NaN-padded tensor, out a slice of a sentinel-filled one (stride(0) > n_cols)."""
    x = logits(shape, seed=sum(shape))
    xp = padded(x, row_pad=5, pad=2048)
    guard = guarded(shape, torch.float32, row_pad=3, pad=2048)
    result = solution.softmax(xp, out=guard.tensor)
    guard.check("out")
    assert_close(guard.tensor, reference(x), rtol=1e-5, atol=1e-6, name=f"softmax {shape} (strided rows)",
                 mistakes={LABELS["row_stride_is_n_cols"]:
                           reference(torch.as_strided(xp, shape, (shape[1], 1))) if shape[1] > 1 else None})
    assert result is None or result.data_ptr() == guard.tensor.data_ptr(), \
        "when out= is given, write into it and return it"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_matches_torch_softmax(solution, shape, record_property):
    require_memory_safe()
    x = logits(shape, seed=shape[0] * 31 + shape[1])
    out = solution.softmax(x)
    assert out is not None, "softmax returned None: return the output tensor"
    assert_close(out, reference(x), rtol=1e-5, atol=1e-6, name=f"softmax {shape}", dtype="float32",
                 mistakes={LABELS["padding_loaded_as_zero"]: wrong_padding(x, block_of(shape[1]))})
    if shape == SHAPES[-1]:
        record_property("note", speed_note(lambda: solution.softmax(x), lambda: torch.softmax(x, dim=-1)))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_padding_lanes_do_not_join_the_sum(solution):
    """All logits negative and the row far from a power of two: a padding lane read as 0 would dominate."""
    require_memory_safe()
    x = logits((4, 65), seed=5, scale=1.0, shift=-20.0)
    out = solution.softmax(x)
    sums = out.double().sum(dim=-1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        message = f"rows sum to {sums.min().item():.4g}…{sums.max().item():.4g}, expected 1"
        full = solution.softmax(x[:, :64].contiguous()).double().sum(dim=-1)  # 64 columns: no padding lanes
        if torch.allclose(full, torch.ones_like(full), atol=1e-4):
            message += (" (rows of 64 columns, without padding, do sum to 1): load the masked lanes with "
                        "other=-inf so they add exp(-inf) = 0 to the denominator")
        raise AssertionError(message)
    assert_close(out, reference(x), rtol=1e-5, atol=1e-7, name="softmax of negative logits",
                 mistakes={LABELS["padding_loaded_as_zero"]: wrong_padding(x, 128)})


@pytest.mark.parametrize("shift", [-200.0, -30000.0], ids=["around_-200", "around_-30000"])
def test_padding_lanes_at_very_negative_logits(solution, shift):
    """Logits around -200 and -30000: a padding lane loaded as (or maxed with) any finite 'very negative' constant
    such as -100 or -1e4 becomes the row max (and exp(-200) underflows to 0 in float32 when the max is 0): only
    -inf keeps the padding out."""
    require_memory_safe()
    x = logits((5, 70), seed=6, scale=2.0, shift=shift)
    out = solution.softmax(x)
    try:
        assert_close(out, reference(x), rtol=1e-5, atol=1e-7, name=f"softmax of logits around {shift:g}")
    except AssertionError as exc:
        if not float(out.float().abs().max()) < 1e-30:
            raise
        # 0 and -100 as the padding both give rows of ~0 here: one hint for both, no guess which
        raise AssertionError(f"{exc}\n  every row came out ~0: the padding lanes won the max; load them with "
                             "other=-float('inf'): no finite constant is small enough for every row") from None


def test_rows_wider_than_1024_are_one_block(solution):
    """1500 columns: the whole row in one block of next_power_of_2(n_cols) = 2048 lanes, not a fixed 1024."""
    require_memory_safe()
    x = logits((2, 1500), seed=8)
    out = solution.softmax(x)
    assert_close(out, reference(x), rtol=1e-5, atol=1e-6, name="softmax (2, 1500)",
                 mistakes={LABELS["padding_loaded_as_zero"]: wrong_padding(x, 2048)})


def test_large_logits_do_not_overflow(solution):
    """Logits around 500: exp overflows float32 unless the row max is subtracted first."""
    require_memory_safe()
    x = logits((3, 50), seed=9, scale=20.0, shift=500.0)
    out = solution.softmax(x)
    bad = int((~torch.isfinite(out)).sum())
    assert bad == 0, (f"{bad} of {out.numel()} outputs are inf/NaN for logits around 500: subtract the row max "
                      "before tl.exp (softmax is shift-invariant; exp(89) already overflows float32)")
    assert_close(out, reference(x), rtol=1e-5, atol=1e-6, name="softmax of large logits")


def test_float16_within_one_ulp(solution):
    """float16 in and out: each value within 1 ulp of the exact softmax (float32 inside, one rounding at the store)."""
    require_memory_safe()
    x = logits((6, 300), seed=13, scale=4.0, dtype=torch.float16)
    out = solution.softmax(x)
    assert out.dtype == torch.float16, f"dtype {out.dtype}, expected float16 (the input's dtype)"
    assert_within_ulps(out, reference(x), name="softmax (float16 in/out)")


def test_every_output_element_comes_from_the_kernel(solution):
    require_memory_safe()
    x = padded(logits((7, 90), seed=14), row_pad=6)
    out = torch.zeros(7, 90, device=DEVICE)
    assert_kernel_did_the_work(solution, lambda: solution.softmax(x, out=out), inputs=(x,), names=["out"])
    assert_kernel_did_the_work(solution, lambda: solution.softmax(x), inputs=(x,), names=["softmax(x)"])
    one_row = logits((1, 5), seed=15)  # no special case for a single row either
    assert_kernel_did_the_work(solution, lambda: solution.softmax(one_row), inputs=(one_row,),
                               names=["softmax of a single row"])


def test_kernel_is_launched(solution):
    require_memory_safe()
    x = logits((4, 40), seed=2)
    assert_kernel_launched(solution.softmax_kernel, lambda: solution.softmax(x))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_wide_rows(solution, record_property):
    require_memory_safe()
    x = logits((8192, 4096), seed=21)
    out = solution.softmax(x)
    assert_close(out, reference(x), rtol=1e-4, atol=1e-6, name="softmax (8192 x 4096)")
    record_property("note", speed_note(lambda: solution.softmax(x), lambda: torch.softmax(x, dim=-1)))


def test_variant_rows(solution, variant):
    # A review may ask another row width or logits far from zero; the core run: 6 rows of 50 columns.
    require_memory_safe()
    shape = (variant.get("rows", 6), variant.get("cols", 50))
    x = logits(shape, seed=91, scale=variant.get("scale", 3.0), shift=variant.get("shift", 0.0))
    out = solution.softmax(x)
    assert out is not None, "softmax returned None: return the output tensor"
    assert_close(out, reference(x), rtol=1e-5, atol=1e-6, name=f"softmax {shape} of logits around {x.mean():.3g}",
                 dtype="float32", mistakes={LABELS["padding_loaded_as_zero"]: wrong_padding(x, block_of(shape[1]))})
