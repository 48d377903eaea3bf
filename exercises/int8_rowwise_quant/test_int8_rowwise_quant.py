"""Hidden suite for int8_rowwise_quant: absmax int8 quantisation kernel (Triton interpreter on CPU, GPU sizes on GPU)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     guarded, padded, require_memory_safe, sizes, speed_note)

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)

SHAPES = sizes([(1, 1), (3, 7), (5, 100), (4, 1000), (9, 33)],
               [(1, 1), (3, 7), (5, 100), (64, 1000), (4096, 4097)])
Q_FILL = -99  # sentinel around int8 outputs


def make(shape, seed, scale=2.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype).to(DEVICE)


def reference(x):
    """(q as float64, scale, y = x / scale before rounding), ties rounded away from zero."""
    x = x.double()
    absmax = x.abs().amax(dim=-1)
    scale = absmax / 127
    inv = torch.where(absmax > 0, 127 / absmax, torch.zeros_like(absmax))
    y = x * inv[:, None]
    q = torch.sign(y) * torch.floor(y.abs() + 0.5)
    return q.clamp(-127, 127), scale, y


def scale_mistakes(x):
    absmax = x.double().abs().amax(dim=-1)
    return {LABELS["max_not_absmax"]: x.double().amax(dim=-1) / 127,
            LABELS["divides_by_128"]: absmax / 128,
            LABELS["divides_by_255"]: absmax / 255}


def check_q(q, x, name):
    """q must equal round(x / scale); at (near-)ties either neighbour is accepted."""
    assert q is not None, f"{name}: got None"
    assert q.dtype == torch.int8, f"{name}: dtype {q.dtype}, expected torch.int8"
    assert tuple(q.shape) == tuple(x.shape), f"{name}: shape {tuple(q.shape)}, expected {tuple(x.shape)}"
    expected, _, y = reference(x)
    got = q.double().cpu()
    expected, y = expected.cpu(), y.cpu()
    near_tie = (y.abs() - y.abs().floor() - 0.5).abs() < 1e-3
    bad = (got != expected) & ~(near_tie & ((got - expected).abs() <= 1))
    if bad.any():
        i = tuple(int(v) for v in torch.nonzero(bad)[0])
        truncated = torch.trunc(y).clamp(-127, 127)
        hint = ""
        if torch.equal(got, truncated) or ((got == truncated) | ~bad).all():
            hint = f"\n  this looks like a known mistake: {LABELS['truncates_instead_of_rounding']}"
        elif (got - expected).abs().max() > 100:
            hint = ("\n  values jumped by ~256: an int8 overflow (the largest |x| must map to 127: "
                    "scale = absmax / 127, clamp to [-127, 127])")
        raise AssertionError(f"{name}: {int(bad.sum())} of {bad.numel()} quantised values wrong; first at {i}: got "
                             f"{int(got[i])}, expected {int(expected[i])} (x / scale = {float(y[i]):.4f})" + hint)


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("shape", [(3, 7), (6, 100), (2, 1000), (5, 1)])
def test_tail_columns_masked_and_row_strides_used(solution, shape):
    """x is a slice of a wider NaN-padded tensor; q and scale live inside sentinel-filled buffers."""
    x = make(shape, seed=sum(shape))
    xp = padded(x, row_pad=5, pad=2048)
    q_guard = guarded(shape, torch.int8, row_pad=3, pad=2048, fill=Q_FILL)
    s_guard = guarded((shape[0],), torch.float32, pad=256)
    solution.quantize_rowwise(xp, q_out=q_guard.tensor, scale_out=s_guard.tensor)
    q_guard.check("q")
    s_guard.check("scale")
    _, scale, _ = reference(x)
    assert_close(s_guard.tensor, scale, rtol=1e-6, atol=0, name=f"scale {shape} (strided rows)")
    check_q(q_guard.tensor, x, f"q {shape} (strided rows)")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_matches_reference(solution, shape, record_property):
    require_memory_safe()
    x = make(shape, seed=shape[0] * 17 + shape[1])
    result = solution.quantize_rowwise(x)
    assert isinstance(result, tuple) and len(result) == 2, "quantize_rowwise must return (q, scale)"
    q, scale = result
    _, expected_scale, _ = reference(x)
    assert_close(scale, expected_scale, rtol=1e-6, atol=0, name=f"scale {shape}", dtype="float32",
                 mistakes=scale_mistakes(x))
    check_q(q, x, f"q {shape}")
    if shape == SHAPES[-1]:
        def torch_version():
            s = x.abs().amax(dim=-1, keepdim=True) / 127
            return torch.round(x / s).to(torch.int8), s
        record_property("note", speed_note(lambda: solution.quantize_rowwise(x), torch_version))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_rows_wider_than_1024_are_one_block(solution):
    """1500 columns: the whole row in one block of next_power_of_2(n_cols) = 2048 lanes (or a loop), not a fixed
    1024; the row's extreme sits past column 1024."""
    require_memory_safe()
    x = make((2, 1500), seed=11)
    x[:, 1400] = 30.0
    q, scale = solution.quantize_rowwise(x)
    assert_close(scale, reference(x)[1], rtol=1e-6, atol=0, name="scale (2, 1500)", dtype="float32",
                 mistakes=scale_mistakes(x))
    check_q(q, x, "q (2, 1500)")


def test_rounds_to_nearest_not_truncates(solution):
    require_memory_safe()
    x = torch.tensor([[127.0, 0.6, -0.6, 1.4, -1.4, 2.7, -2.7, 100.49]], device=DEVICE)
    q, scale = solution.quantize_rowwise(x)
    check_q(q, x, "q of hand-picked values (scale = 1)")


def test_negative_extremes_use_absolute_max(solution):
    """The largest magnitude is negative: the scale must come from max |x|, and -absmax maps to -127."""
    require_memory_safe()
    x = make((4, 50), seed=5)
    x[:, 7] = -20.0
    q, scale = solution.quantize_rowwise(x)
    assert_close(scale, torch.full((4,), 20.0 / 127, dtype=torch.float64), rtol=1e-6, atol=0, name="scale",
                 mistakes=scale_mistakes(x))
    col = q[:, 7].cpu().tolist()
    assert col == [-127] * 4, f"the value -absmax must quantise to -127, got {col}"
    check_q(q, x, "q with negative extremes")


def test_largest_value_maps_to_127_without_overflow(solution):
    require_memory_safe()
    x = make((3, 40), seed=6).abs()
    q, _ = solution.quantize_rowwise(x)
    top = q.max(dim=-1).values.cpu().tolist()
    assert top == [127] * 3, (f"row maxima quantised to {top}, expected 127 each: scale = absmax / 127 "
                              "(dividing by 128 maps the max to 128, which wraps to -128 in int8)")
    check_q(q, x, "q of positive rows")


def test_all_zero_row_gives_zero_not_nan(solution):
    require_memory_safe()
    x = make((3, 30), seed=7)
    x[1] = 0.0
    q, scale = solution.quantize_rowwise(x)
    assert float(scale[1]) == 0.0, f"an all-zero row must get scale 0, got {float(scale[1])}"
    assert torch.isfinite(scale).all(), "scale contains inf/NaN"
    zeros = q[1].cpu()
    assert (zeros == 0).all(), (f"an all-zero row must quantise to zeros, got values {sorted(set(zeros.tolist()))[:5]}: "
                                "guard 1/absmax when absmax == 0 (0 · inf = NaN, and NaN cast to int8 is garbage)")
    check_q(q, x, "q with a zero row")


def test_dequantisation_error_at_most_half_a_step(solution):
    require_memory_safe()
    x = make((6, 300), seed=8, scale=5.0)
    q, scale = solution.quantize_rowwise(x)
    err = (q.double() * scale.double()[:, None] - x.double()).abs()
    worst = float((err / (scale.double()[:, None] / 2)).max())
    assert worst <= 1.0 + 1e-4, (f"|q·scale − x| reaches {worst:.3f} half-steps, expected ≤ 1: each value must "
                                 "round to the nearest quantisation level")


def test_float16_input(solution):
    require_memory_safe()
    x = make((5, 200), seed=9, dtype=torch.float16)
    q, scale = solution.quantize_rowwise(x)
    _, expected_scale, _ = reference(x)
    assert_close(scale, expected_scale, rtol=1e-6, atol=0, name="scale (float16 input)", dtype="float32")
    check_q(q, x, "q (float16 input)")


def test_every_output_element_comes_from_the_kernel(solution):
    """With the launch skipped q and scale must stay untouched: torch must not compute any part of them."""
    require_memory_safe()
    x = padded(make((6, 45), seed=10), row_pad=4)
    q_out = torch.zeros(6, 45, dtype=torch.int8, device=DEVICE)
    scale_out = torch.zeros(6, device=DEVICE)
    assert_kernel_did_the_work(solution, lambda: solution.quantize_rowwise(x, q_out=q_out, scale_out=scale_out),
                               inputs=(x,), names=["q", "scale"])
    assert_kernel_did_the_work(solution, lambda: solution.quantize_rowwise(x), inputs=(x,), names=["q", "scale"])
    one_row = make((1, 5), seed=12)  # no special case for a single row either
    assert_kernel_did_the_work(solution, lambda: solution.quantize_rowwise(one_row), inputs=(one_row,),
                               names=["q of a single row", "scale of a single row"])


def test_kernel_is_launched(solution):
    require_memory_safe()
    x = make((4, 40), seed=2)
    assert_kernel_launched(solution.quantize_kernel, lambda: solution.quantize_rowwise(x))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_large_matrix(solution, record_property):
    require_memory_safe()
    x = make((8192, 8192), seed=21, dtype=torch.float16)
    q, scale = solution.quantize_rowwise(x)
    check_q(q, x, "q (8192 x 8192, float16)")

    def torch_version():
        s = x.float().abs().amax(dim=-1, keepdim=True) / 127
        return torch.round(x.float() / s).to(torch.int8), s
    record_property("note", speed_note(lambda: solution.quantize_rowwise(x), torch_version))


def test_variant_rows(solution, variant):
    # A review may ask rows of tiny values or a wide matrix with one outlier per row; the core run: (5, 60).
    require_memory_safe()
    rows, cols = variant.get("rows", 5), variant.get("cols", 60)
    x = make((rows, cols), seed=94, scale=variant.get("scale", 2.0))
    if variant.get("outlier"):
        x[:, 0] = variant["outlier"]  # one large value per row sets the scale: the rest quantise coarsely
    q, scale = solution.quantize_rowwise(x)
    assert_close(scale, reference(x)[1], rtol=1e-6, atol=0, name=f"scale ({rows}, {cols})", dtype="float32",
                 mistakes=scale_mistakes(x))
    check_q(q, x, f"q ({rows}, {cols})")
