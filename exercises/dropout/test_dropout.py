"""Hidden suite for dropout: inverted dropout checked exactly (kept values, mask reuse) and statistically (keep rate)."""

import numpy as np
import pytest

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)


def data(seed, shape, dtype=np.float64):
    # values bounded away from 0, so a zero in the output always means "dropped"
    rng = np.random.default_rng(seed)
    x = (rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)
    return x, rng.standard_normal(shape).astype(dtype)


def forward(solution, x, *args, **kw):
    before = x.copy()
    out, cache = solution.dropout_forward(x, *args, **kw)
    assert np.array_equal(x, before), LABELS["input_modified"]
    out = np.asarray(out)
    assert out.shape == x.shape, f"output shape {out.shape}, expected {x.shape}"
    return out, cache


def check_keep_rate(kept, p, what):
    n, rate = kept.size, kept.mean()
    sigma = np.sqrt(max(p * (1 - p), 1e-12) / n)
    if abs(rate - (1 - p)) <= 6 * sigma:
        return
    hint = f"\n  this looks like a known mistake: {LABELS['keep_drop_swapped']}" if abs(rate - p) <= 6 * sigma else ""
    raise AssertionError(f"{what}: {rate:.4f} of {n} values kept, expected 1 − p = {1 - p:.4f} "
                         f"(± {6 * sigma:.4f}){hint}")


def check_kept_values(out, x, p, what, rtol=1e-12):
    kept = out != 0
    wrong = {LABELS["no_rescale"]: x[kept]}
    if p not in (0.5, 0.0):
        wrong[LABELS["scale_by_p"]] = x[kept] / p
    assert_close(out[kept], x[kept] / (1 - p), rtol=rtol, atol=0, name=f"kept values {what} (must be x/(1 − p))",
                 mistakes=wrong)
    return kept


@pytest.mark.parametrize("shape,p,seed", [((100, 200), 0.1, 0), ((20000,), 0.5, 1), ((10, 40, 50), 0.8, 2),
                                          ((150, 150), 0.3, 3)])
def test_training_drops_a_fraction_p_and_rescales_the_rest(solution, shape, p, seed):
    x, _ = data(seed, shape)
    out, _ = forward(solution, x, p, True, np.random.default_rng(100 + seed))
    kept = check_kept_values(out, x, p, f"(x {shape}, p={p})")
    check_keep_rate(kept, p, f"keep rate (x {shape}, p={p})")


def test_defaults_p_half_training_fresh_rng(solution):
    x, _ = data(4, (200, 100))
    out, _ = forward(solution, x)
    kept = check_kept_values(out, x, 0.5, "(defaults: p=0.5, training=True, rng=None)")
    check_keep_rate(kept, 0.5, "keep rate with the defaults")
    again, _ = forward(solution, x)
    assert not np.array_equal(out != 0, again != 0), "two calls with rng=None drew the same mask: seed nothing"


def test_the_given_rng_draws_the_mask(solution):
    x, _ = data(5, (64, 64))
    a, _ = forward(solution, x, 0.4, True, np.random.default_rng(7))
    b, _ = forward(solution, x, 0.4, True, np.random.default_rng(7))
    c, _ = forward(solution, x, 0.4, True, np.random.default_rng(8))
    assert np.array_equal(a, b), "the same generator state must give the same mask (draw it from `rng`)"
    assert not np.array_equal(a != 0, c != 0), "different generators gave the same mask: the mask must come from `rng`"


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_eval_is_the_identity(solution, p):
    x, dout = data(6, (30, 40))
    out, cache = forward(solution, x, p, False, np.random.default_rng(9))
    assert_close(out, x, rtol=0, atol=0, name=f"eval output (p={p}): inverted dropout leaves x as it is",
                 mistakes={LABELS["eval_scaled"]: x * (1 - p)})
    assert_close(solution.dropout_backward(dout, cache), dout, rtol=0, atol=0, name="eval backward (identity)")


@pytest.mark.parametrize("p,seed", [(0.25, 10), (0.6, 11)])
def test_backward_uses_the_forward_mask(solution, p, seed):
    x, dout = data(seed, (80, 90))
    out, cache = forward(solution, x, p, True, np.random.default_rng(seed))
    dx = np.asarray(solution.dropout_backward(dout, cache))
    kept = out != 0
    if np.any(kept != (dx != 0)) and abs((dx != 0).mean() - kept.mean()) < 0.05:
        raise AssertionError(f"{LABELS['new_mask_in_backward']} ({int(np.sum(kept != (dx != 0)))} positions differ)")
    expected = np.where(kept, dout / (1 - p), 0.0)
    assert_close(dx, expected, rtol=1e-12, atol=0, name=f"d loss / d x (p={p}): dout/(1 − p) where kept, else 0")


def test_p_zero_keeps_everything(solution):
    x, dout = data(12, (20, 30))
    out, cache = forward(solution, x, 0.0, True, np.random.default_rng(12))
    assert_close(out, x, rtol=0, atol=0, name="p = 0 in training (nothing dropped)")
    assert_close(solution.dropout_backward(dout, cache), dout, rtol=0, atol=0, name="backward with p = 0")


def test_p_one_drops_everything(solution):
    x, dout = data(13, (20, 30))
    try:
        out, cache = forward(solution, x, 1.0, True, np.random.default_rng(13))
    except ZeroDivisionError:
        raise AssertionError(LABELS["p_one_divides_by_zero"]) from None
    assert np.all(np.isfinite(out)), f"p = 1 gave non-finite outputs: {LABELS['p_one_divides_by_zero']}"
    assert_close(out, np.zeros_like(x), atol=0, name="p = 1 in training (everything dropped)")
    assert_close(solution.dropout_backward(dout, cache), np.zeros_like(dout), atol=0, name="backward with p = 1")


def test_float32_stays_float32(solution):
    x, dout = data(14, (50, 60), dtype=np.float32)
    out, cache = forward(solution, x, 0.3, True, np.random.default_rng(14))
    assert out.dtype == np.float32, f"output dtype {out.dtype}, expected float32"
    check_kept_values(out.astype(np.float64), x.astype(np.float64), 0.3, "(float32)", rtol=1e-6)
    dx = np.asarray(solution.dropout_backward(dout, cache))
    assert dx.dtype == np.float32, f"gradient dtype {dx.dtype}, expected float32"


def test_rate_of_the_variant(solution, variant):
    p = variant.get("p", 0.2)
    x, _ = data(15, (100, 100))
    out, _ = forward(solution, x, p, True, np.random.default_rng(15))
    check_keep_rate(check_kept_values(out, x, p, f"(p={p})"), p, f"keep rate (p={p})")


def test_p_outside_0_1_raises_value_error(solution):
    x, _ = data(16, (4,))
    expect_value_error(lambda: solution.dropout_forward(x, -0.1), "p=-0.1")
    expect_value_error(lambda: solution.dropout_forward(x, 1.5), "p=1.5")
