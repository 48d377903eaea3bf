"""Hidden suite for quantize: int8 and NF4 quantisation against float64 numpy references written here."""

import numpy as np
import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)
NF4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                0.7229568362236023, 1.0])


def reduce(x, axis, op):
    if axis is None:
        return op(x)
    others = tuple(d for d in range(x.ndim) if d != axis % x.ndim)
    return op(x, axis=others, keepdims=True)


def ref_symmetric(x, axis=None, mistake=None):
    x = x.double().numpy()
    if mistake == "per_channel_wrong_axis" and axis is not None:
        absmax = np.abs(x).max(axis=axis, keepdims=True)
    else:
        absmax = reduce(np.abs(x), axis, np.max)
    scale = np.where(absmax > 0, absmax / (128 if mistake == "scale_by_128" else 127), 1.0)
    return x / scale, np.clip(np.round(x / scale), -127, 127), scale


def ref_asymmetric(x, axis=None, mistake=None):
    x = x.double().numpy()
    lo, hi = reduce(x, axis, np.min), reduce(x, axis, np.max)
    if mistake != "range_without_zero":
        lo, hi = np.minimum(lo, 0), np.maximum(hi, 0)
    scale = np.where(hi > lo, (hi - lo) / 255, 1.0)
    zp = np.clip(-128 - lo / scale, -128, 127)
    if mistake != "zero_point_not_rounded":
        zp = np.round(zp)
    return x / scale + zp, np.clip(np.round(x / scale) + zp, -128, 127), scale, zp


def codes_match(got, want_exact, want_rounded, what, mistakes=None):
    """int codes equal the reference's, except where x/scale sits within 1e-3 of a rounding tie (±1 allowed)."""
    got = got.to(torch.int64).numpy()
    near_tie = np.abs(np.abs(want_exact - np.floor(want_exact)) - 0.5) < 1e-3
    bad = (got != want_rounded) & ~(near_tie & (np.abs(got - want_rounded) <= 1))
    if bad.any():
        i = tuple(int(v) for v in np.argwhere(bad)[0])
        named = next((label for label, wrong in (mistakes or {}).items()
                      if np.array_equal(got, wrong) and not np.array_equal(want_rounded, wrong)), None)
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} codes differ; first at {i}: got {got[i]}, "
                             f"expected {int(want_rounded[i])}"
                             + (f"\n  this looks like a known mistake: {named}" if named else ""))


def data(seed, *shape, scale=3.0):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --- symmetric ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis,seed", [((64,), None, 0), ((6, 10), 0, 1), ((6, 10), 1, 2), ((3, 4, 5), -1, 3),
                                             ((3, 4, 5), 1, 4)])
def test_symmetric(solution, shape, axis, seed):
    x = data(seed, *shape)
    q, scale = solution.quantize_symmetric(x, axis=axis)
    assert q.dtype == torch.int8, f"codes are {q.dtype}, expected torch.int8"
    exact, rounded, want_scale = ref_symmetric(x, axis)
    wrong = {LABELS[m]: ref_symmetric(x, axis, m)[2] for m in ("scale_by_128", "per_channel_wrong_axis")}
    assert_close(scale, want_scale, rtol=1e-6, atol=0, name=f"symmetric scale (shape {shape}, axis={axis})",
                 mistakes=wrong)
    codes_match(q, exact, rounded, f"symmetric codes (shape {shape}, axis={axis})",
                {LABELS[m]: ref_symmetric(x, axis, m)[1] for m in ("scale_by_128", "per_channel_wrong_axis")})
    assert int(q.abs().max()) == 127, f"the largest |x| must map to ±127; the largest |code| is {int(q.abs().max())}"


def test_symmetric_round_trip_error_is_at_most_half_a_step(solution):
    x = data(5, 8, 16)
    q, scale = solution.quantize_symmetric(x, axis=0)
    err = (solution.dequantize(q, scale) - x).abs()
    step = torch.as_tensor(scale).expand_as(x)
    assert bool((err <= step / 2 * (1 + 1e-5)).all()), (
        f"round-trip error up to {float((err / step).max()):.3f} steps; rounding to the nearest code keeps it ≤ 0.5"
        + (f"\n  this looks like a known mistake: {LABELS['scale_by_128']}" if float((err / step).max()) > 0.9 else ""))


def test_an_all_zero_channel_gets_scale_one(solution):
    x = data(6, 4, 5)
    x[2] = 0
    q, scale = solution.quantize_symmetric(x, axis=0)
    assert torch.isfinite(torch.as_tensor(scale)).all(), "an all-zero channel gave a non-finite scale (0/0)"
    assert float(torch.as_tensor(scale)[2].flatten()[0]) == 1.0 and not q[2].any(), \
        "an all-zero channel must get scale 1 and codes 0"


def test_extreme_magnitudes(solution):
    for magnitude in (1e30, 1e-30):
        x = data(7, 32) * magnitude
        q, scale = solution.quantize_symmetric(x)
        back = solution.dequantize(q, scale)
        assert torch.isfinite(back).all(), f"non-finite round trip for values of magnitude {magnitude:g}"
        assert float((back - x).abs().max()) <= float(x.abs().max()) / 254 * (1 + 1e-4), \
            f"round-trip error too large for values of magnitude {magnitude:g}"


# --- asymmetric -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis,offset,seed", [((64,), None, 0.0, 10), ((5, 12), 0, 2.0, 11),
                                                    ((5, 12), 1, -4.0, 12), ((2, 3, 8), -1, 0.5, 13)])
def test_asymmetric(solution, shape, axis, offset, seed):
    x = data(seed, *shape) + offset
    q, scale, zp = solution.quantize_asymmetric(x, axis=axis)
    assert q.dtype == torch.int8, f"codes are {q.dtype}, expected torch.int8"
    assert not torch.is_floating_point(torch.as_tensor(zp)), \
        "the zero-point must be an integer" + f"\n  this looks like a known mistake: {LABELS['zero_point_not_rounded']}"
    exact, rounded, want_scale, want_zp = ref_asymmetric(x, axis)
    assert_close(scale, want_scale, rtol=1e-6, atol=0, name=f"asymmetric scale (shape {shape}, axis={axis})",
                 mistakes={LABELS["range_without_zero"]: ref_asymmetric(x, axis, "range_without_zero")[2]})
    assert_close(zp, want_zp, rtol=0, atol=0, name=f"zero-point (shape {shape}, axis={axis})",
                 mistakes={LABELS[m]: ref_asymmetric(x, axis, m)[3] for m in ("range_without_zero",)})
    codes_match(q, exact, rounded, f"asymmetric codes (shape {shape}, axis={axis})")


def test_zero_is_exactly_representable(solution):
    for offset in (0.0, 5.0, -5.0):  # mixed signs, all positive, all negative
        x = torch.cat([data(14, 31) * 0.5 + offset, torch.zeros(1)])
        q, scale, zp = solution.quantize_asymmetric(x)
        back = solution.dequantize(q, scale, zp)
        assert float(back[-1]) == 0.0, (
            f"0.0 came back as {float(back[-1]):.6g} (data offset {offset}): the range must contain 0 and the "
            "zero-point must be an integer"
            + f"\n  this looks like a known mistake: "
              f"{LABELS['range_without_zero' if offset else 'zero_point_not_rounded']}")


def test_asymmetric_round_trip(solution):
    x = data(15, 6, 20) + 1.0
    q, scale, zp = solution.quantize_asymmetric(x, axis=0)
    back = solution.dequantize(q, scale, zp)
    step = torch.as_tensor(scale).expand_as(x)
    assert int(q.min()) == -128 and int(q.max()) == 127, \
        f"codes span [{int(q.min())}, {int(q.max())}]; the asymmetric range uses all of [-128, 127]"
    worst = float(((back - x).abs() / step).max())
    assert worst <= 0.5 * (1 + 1e-4), (
        f"round-trip error up to {worst:.3f} steps (at most 0.5 expected): dequantise as (q − zero_point)·scale"
        + (f"\n  this looks like a known mistake: {LABELS['dequant_zero_point_sign']}" if worst > 10 else ""))


def test_dequantize_default_zero_point(solution):
    q = torch.tensor([-127, -1, 0, 5, 127], dtype=torch.int8)
    assert_close(solution.dequantize(q, torch.tensor(0.5)), torch.tensor([-63.5, -0.5, 0.0, 2.5, 63.5]), rtol=0,
                 atol=0, name="dequantize(q, scale) with the default zero_point 0", dtype="float32")


# --- NF4 ------------------------------------------------------------------------------------------

def ref_nf4(x, block_size=64, mistake=None):
    blocks = x.double().numpy().reshape(-1, block_size)
    absmax = np.abs(blocks).max(1) if mistake != "nf4_global_absmax" else np.full(len(blocks), np.abs(blocks).max())
    normed = blocks / np.where(absmax > 0, absmax, 1)[:, None]
    codes = np.abs(normed[..., None] - NF4).argmin(-1)
    return codes.reshape(x.shape), absmax, (NF4[codes] * absmax[:, None]).reshape(x.shape)


@pytest.mark.parametrize("shape,block_size,seed", [((4, 64), 64, 20), ((2, 3, 32), 16, 21), ((128,), 128, 22)])
def test_nf4_round_trip(solution, shape, block_size, seed):
    x = data(seed, *shape)
    x.view(-1)[5] = 40.0  # an outlier in the first block only
    codes, absmax = solution.nf4_quantize(x, block_size=block_size)
    want_codes, want_absmax, want_back = ref_nf4(x, block_size)
    assert codes.dtype == torch.uint8 and tuple(codes.shape) == shape, \
        f"codes: {codes.dtype} {tuple(codes.shape)}, expected torch.uint8 {shape}"
    assert_close(absmax, want_absmax, rtol=1e-6, atol=0, name=f"NF4 absmax per block of {block_size}",
                 mistakes={LABELS["nf4_global_absmax"]: ref_nf4(x, block_size, "nf4_global_absmax")[1]})
    back = solution.nf4_dequantize(codes, absmax, block_size=block_size)
    assert_close(back, want_back, rtol=1e-5, atol=1e-6, name=f"NF4 round trip (shape {shape}, blocks of {block_size})",
                 mistakes={LABELS["nf4_global_absmax"]: ref_nf4(x, block_size, "nf4_global_absmax")[2]})
    agree = float((codes.to(torch.int64).numpy() == want_codes).mean())
    assert agree > 0.999, f"only {agree:.1%} of the NF4 codes are the index of the nearest NF4 value"


def test_nf4_codes_are_nearest_table_entries(solution):
    # values placed between table entries: nearest-value indices differ from a uniform 4-bit grid
    x = torch.tensor(list(np.linspace(-1, 1, 64)), dtype=torch.float32)
    codes, absmax = solution.nf4_quantize(x)
    want = ref_nf4(x)[0]
    got = codes.to(torch.int64).numpy()
    uniform = np.round((x.numpy() + 1) * 7.5)
    assert (got == want).mean() > 0.99, (
        f"{int((got != want).sum())} of 64 codes are not the nearest NF4 value"
        + (f"\n  this looks like a known mistake: {LABELS['nf4_uniform_grid']}" if (got == uniform).all() else ""))
    assert_close(solution.nf4_dequantize(codes, absmax), ref_nf4(x)[2], rtol=1e-6, atol=1e-7,
                 name="NF4 round trip with the default block size 64")


def test_nf4_rejects_a_partial_block(solution):
    expect_value_error(lambda: solution.nf4_quantize(data(23, 100), block_size=64), "nf4_quantize of 100 values "
                       "in blocks of 64")


def test_variant_task(solution, variant):
    # A review may ask per-row or per-column scales; the core run: per-row (axis 0) symmetric.
    axis = variant.get("axis", 0)
    x = data(24, 8, 12)
    q, scale = solution.quantize_symmetric(x, axis=axis)
    exact, rounded, want_scale = ref_symmetric(x, axis)
    assert_close(scale, want_scale, rtol=1e-6, atol=0, name=f"symmetric scale per channel along axis {axis}",
                 mistakes={LABELS["per_channel_wrong_axis"]: ref_symmetric(x, axis, "per_channel_wrong_axis")[2]})
    codes_match(q, exact, rounded, f"symmetric codes along axis {axis}")
