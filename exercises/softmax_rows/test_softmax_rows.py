"""Hidden suite for softmax_rows: row-wise softmax kernel (Triton interpreter on CPU, full sizes on a GPU)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_launched, guarded, launch_counter,  # noqa: I001
                                     padded, require_memory_safe, sizes, speed_note)

import pytest
import torch

from quizcli.testing import assert_close

SHAPES = sizes([(1, 1), (3, 7), (5, 100), (4, 1000), (9, 33)],
               [(1, 1), (3, 7), (5, 100), (64, 1000), (257, 4097), (4096, 781)])


def logits(shape, seed, scale=3.0, shift=0.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale + shift).to(dtype).to(DEVICE)


def reference(x):
    return torch.softmax(x.double(), dim=-1)


def wrong_padding_as_zero(x, block):
    """Softmax where the padding lanes up to ``block`` count as logits equal to 0."""
    x = x.double()
    m = torch.maximum(x.max(dim=-1, keepdim=True).values, torch.zeros(1, dtype=x.dtype, device=x.device))
    e = torch.exp(x - m)
    return e / (e.sum(dim=-1, keepdim=True) + (block - x.shape[-1]) * torch.exp(-m))


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
                 mistakes={"rows read with stride n_cols instead of x.stride(0)":
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
                 mistakes={"masked lanes loaded as 0 instead of -inf (the padding joins the sum)":
                           wrong_padding_as_zero(x, 1 << (shape[1] - 1).bit_length())})
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
    assert torch.allclose(sums, torch.ones_like(sums), atol=1e-4), (
        f"rows sum to {sums.min().item():.4g}…{sums.max().item():.4g}, expected 1: load the masked lanes with "
        "other=-inf so they add exp(-inf) = 0 to the denominator")
    assert_close(out, reference(x), rtol=1e-5, atol=1e-7, name="softmax of negative logits",
                 mistakes={"masked lanes loaded as 0 instead of -inf": wrong_padding_as_zero(x, 128)})


def test_large_logits_do_not_overflow(solution):
    """Logits around 500: exp overflows float32 unless the row max is subtracted first."""
    require_memory_safe()
    x = logits((3, 50), seed=9, scale=20.0, shift=500.0)
    out = solution.softmax(x)
    bad = int((~torch.isfinite(out)).sum())
    assert bad == 0, (f"{bad} of {out.numel()} outputs are inf/NaN for logits around 500: subtract the row max "
                      "before tl.exp (softmax is shift-invariant; exp(89) already overflows float32)")
    assert_close(out, reference(x), rtol=1e-5, atol=1e-6, name="softmax of large logits")


def test_float16_input_computed_in_float32(solution):
    require_memory_safe()
    x = logits((6, 300), seed=13, scale=4.0, dtype=torch.float16)
    out = solution.softmax(x)
    assert_close(out, reference(x), rtol=2e-3, atol=2e-4, name="softmax (float16 in/out)", dtype="float16")


def test_kernel_is_launched(solution):
    require_memory_safe()
    x = logits((4, 40), seed=2)
    with launch_counter(solution.softmax_kernel) as launches:
        solution.softmax(x)
    assert_launched(launches)


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_wide_rows(solution, record_property):
    require_memory_safe()
    x = logits((8192, 4096), seed=21)
    out = solution.softmax(x)
    assert_close(out, reference(x), rtol=1e-4, atol=1e-6, name="softmax (8192 x 4096)")
    record_property("note", speed_note(lambda: solution.softmax(x), lambda: torch.softmax(x, dim=-1)))
