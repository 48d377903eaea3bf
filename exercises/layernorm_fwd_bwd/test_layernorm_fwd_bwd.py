"""Hidden suite for layernorm_fwd_bwd: LayerNorm forward + backward kernels vs torch autograd in float64."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_launched,  # noqa: I001
                                     assert_within_ulps, guarded, launch_counter, padded, require_memory_safe,
                                     sizes, speed_note)

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)

EPS = 1e-5
SHAPES = sizes([(1, 2), (3, 7), (5, 100), (70, 33), (2, 1500), (4, 1000)],
               [(1, 2), (3, 7), (5, 100), (70, 33), (4096, 1000), (2048, 4097)])


def make(shape, seed, scale=1.0, shift=0.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    n = shape[1]
    x = torch.randn(shape, generator=g, dtype=torch.float64) * scale + shift
    w = 1.0 + 0.5 * torch.randn(n, generator=g, dtype=torch.float64)
    b = 0.5 * torch.randn(n, generator=g, dtype=torch.float64)
    dy = torch.randn(shape, generator=g, dtype=torch.float64)
    return tuple(t.to(dtype).to(DEVICE) for t in (x, w, b, dy))


def reference(x, w, b, dy, eps=EPS):
    """(y, mean, rstd, dx, dw, db) in float64 from F.layer_norm and autograd."""
    xr, wr, br = (t.double().detach().clone().requires_grad_(True) for t in (x, w, b))
    y = F.layer_norm(xr, (x.shape[1],), wr, br, eps)
    y.backward(dy.double())
    mean = xr.detach().mean(dim=1)
    rstd = 1 / torch.sqrt(xr.detach().var(dim=1, unbiased=False) + eps)
    return y.detach(), mean, rstd, xr.grad, wr.grad, br.grad


def forward(solution, x, w, b, **kw):
    result = solution.layernorm_fwd(x, w, b, EPS, **kw)
    assert isinstance(result, tuple) and len(result) == 3, "layernorm_fwd must return (y, mean, rstd)"
    return result


def backward(solution, dy, x, w, mean, rstd, **kw):
    result = solution.layernorm_bwd(dy, x, w, mean, rstd, **kw)
    assert isinstance(result, tuple) and len(result) == 3, "layernorm_bwd must return (dx, dweight, dbias)"
    return result


def fwd_mistakes(x, w, b):
    xd = x.double()
    n = x.shape[1]
    block = 1 << (n - 1).bit_length()
    mean = xd.mean(dim=1, keepdim=True)
    var_unbiased = xd.var(dim=1, unbiased=True, keepdim=True)
    var_padded = (((xd - mean) ** 2).sum(dim=1, keepdim=True) + (block - n) * mean ** 2) / n
    return {LABELS["unbiased_variance"]:
            (xd - mean) / torch.sqrt(var_unbiased + EPS) * w.double() + b.double() if n > 1 else None,
            LABELS["padding_in_variance"]:
            (xd - mean) / torch.sqrt(var_padded + EPS) * w.double() + b.double() if block > n else None}


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("shape", [(3, 7), (6, 100), (2, 1000), (5, 33)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_forward_tail_masked_and_row_strides_used(solution, shape):
    x, w, b, _ = make(shape, seed=sum(shape))
    xp = padded(x, row_pad=5, pad=2048)
    guard = guarded(shape, torch.float32, row_pad=3, pad=2048)
    y, mean, rstd = forward(solution, xp, w, b, out=guard.tensor)
    guard.check("y")
    ref = reference(x, w, b, x)
    assert_close(guard.tensor, ref[0], rtol=1e-5, atol=1e-5, name=f"y {shape} (strided rows)",
                 mistakes=fwd_mistakes(x, w, b))


@pytest.mark.parametrize("shape", [(3, 7), (6, 100), (70, 33)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_backward_tail_masked_and_row_strides_used(solution, shape):
    require_memory_safe()
    x, w, b, dy = make(shape, seed=10 + sum(shape))
    _, mean, rstd = forward(solution, x, w, b)
    xp, dyp = padded(x, row_pad=5, pad=2048), padded(dy, row_pad=2, pad=2048)
    guard = guarded(shape, torch.float32, row_pad=3, pad=2048)
    dx, dw, db = backward(solution, dyp, xp, w, mean, rstd, dx_out=guard.tensor)
    guard.check("dx")
    ref = reference(x, w, b, dy)
    assert_close(guard.tensor, ref[3], rtol=1e-4, atol=1e-5, name=f"dx {shape} (strided rows)")
    assert_close(dw, ref[4], rtol=1e-4, atol=1e-5, name=f"dweight {shape}")
    assert_close(db, ref[5], rtol=1e-4, atol=1e-5, name=f"dbias {shape}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_forward_matches_layer_norm(solution, shape, record_property):
    require_memory_safe()
    x, w, b, dy = make(shape, seed=shape[0] * 11 + shape[1])
    y, mean, rstd = forward(solution, x, w, b)
    ref = reference(x, w, b, dy)
    assert_close(y, ref[0], rtol=1e-5, atol=1e-5, name=f"y {shape}", dtype="float32", mistakes=fwd_mistakes(x, w, b))
    assert_close(mean, ref[1], rtol=1e-5, atol=1e-6, name=f"mean {shape}", dtype="float32")
    assert_close(rstd, ref[2], rtol=1e-4, atol=1e-5, name=f"rstd {shape} (1 / sqrt(var + eps))", dtype="float32",
                 mistakes={"std stored instead of its reciprocal (1 / rstd)": 1 / ref[2]})
    if shape == SHAPES[-1]:
        record_property("note", speed_note(lambda: solution.layernorm_fwd(x, w, b, EPS),
                                           lambda: F.layer_norm(x, (shape[1],), w, b, EPS), label="torch forward"))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_backward_matches_autograd(solution, shape, record_property):
    require_memory_safe()
    x, w, b, dy = make(shape, seed=shape[0] * 13 + shape[1])
    _, mean, rstd = forward(solution, x, w, b)
    dx, dw, db = backward(solution, dy, x, w, mean, rstd)
    ref = reference(x, w, b, dy)
    xhat = (x.double() - ref[1][:, None]) * ref[2][:, None]
    assert_close(dx, ref[3], rtol=1e-4, atol=1e-5, name=f"dx {shape}", dtype="float32",
                 mistakes={LABELS["dx_without_mean_terms"]: w.double() * dy.double() * ref[2][:, None]})
    assert_close(dw, ref[4], rtol=1e-4, atol=1e-4, name=f"dweight {shape}", dtype="float32",
                 mistakes={LABELS["dw_without_xhat"]: dy.double().sum(dim=0)})
    assert_close(db, ref[5], rtol=1e-4, atol=1e-4, name=f"dbias {shape}", dtype="float32",
                 mistakes={LABELS["dw_and_db_swapped"]: (dy.double() * xhat).sum(dim=0)})
    if shape == SHAPES[-1]:
        xr = x.detach().requires_grad_(True)
        wr = w.detach().requires_grad_(True)
        br = b.detach().requires_grad_(True)
        y_t = F.layer_norm(xr, (shape[1],), wr, br, EPS)
        record_property("note", speed_note(lambda: solution.layernorm_bwd(dy, x, w, mean, rstd),
                                           lambda: torch.autograd.grad(y_t, (xr, wr, br), dy, retain_graph=True),
                                           label="torch backward"))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_variance_is_biased_and_ignores_padding(solution):
    """100 columns in a 128-wide block, rows with mean ≈ 2: both classic variance mistakes change y a lot."""
    require_memory_safe()
    x, w, b, dy = make((4, 100), seed=3, shift=2.0)
    y, _, rstd = forward(solution, x, w, b)
    ref = reference(x, w, b, dy)
    assert_close(y, ref[0], rtol=1e-5, atol=1e-5, name="y (4 x 100, mean 2)", mistakes=fwd_mistakes(x, w, b))


def test_large_offset_is_numerically_stable(solution):
    """x = 3000 + N(0, 1) in float32: E[x²] − E[x]² loses every significant digit; Σ(x − mean)² does not."""
    require_memory_safe()
    x, w, b, dy = make((6, 300), seed=4, shift=3000.0)
    y, _, rstd = forward(solution, x, w, b)
    ref = reference(x, w, b, dy)
    try:
        assert_close(rstd, ref[2], rtol=1e-3, atol=0, name="rstd of rows with mean 3000")
        assert_close(y, ref[0], rtol=1e-3, atol=2e-3, name="y of rows with mean 3000")
    except AssertionError as exc:
        centred = (x.double() - 3000.0).float()
        _, _, rstd_centred = forward(solution, centred, w, b)
        if not torch.allclose(rstd_centred.double(), reference(centred, w, b, dy)[2], rtol=1e-3, atol=0):
            raise  # wrong even without the offset: not a cancellation problem
        raise AssertionError(f"{exc}\n  the same rows shifted to mean 0 come out right: compute the variance as "
                             "mean((x − mean)²), not mean(x²) − mean², which cancels catastrophically in float32 "
                             "when |mean| ≫ std") from None


def test_float16_inputs(solution):
    require_memory_safe()
    x, w, b, dy = make((8, 200), seed=5, dtype=torch.float16)
    y, mean, rstd = forward(solution, x, w, b)
    dx, dw, db = backward(solution, dy, x, w, mean, rstd)
    ref = reference(x, w, b, dy)
    assert y.dtype == torch.float16, f"y: dtype {y.dtype}, expected float16 (the input's dtype)"
    for name, stat in (("mean", mean), ("rstd", rstd)):
        assert stat.dtype == torch.float32, f"{name}: dtype {stat.dtype}, expected float32 whatever the input dtype"
    assert_within_ulps(y, ref[0], name="y (float16, float32 inside: within 1 ulp)")
    assert_close(dx, ref[3], rtol=1e-2, atol=1e-2, name="dx (float16)", dtype="float16")
    assert_close(dw, ref[4], rtol=1e-2, atol=2e-2, name="dweight (float16)", dtype="float16")
    assert_close(db, ref[5], rtol=1e-2, atol=2e-2, name="dbias (float16)", dtype="float16")


def test_backward_uses_the_saved_statistics(solution):
    """mean and rstd from a forward with eps = 0.1 on rows of std ≈ 0.3: the backward must use the rstd it is
    given (recomputing the statistics with the default eps gives another dx)."""
    require_memory_safe()
    x, w, b, dy = make((4, 60), seed=19, scale=0.3)
    _, mean, rstd = solution.layernorm_fwd(x, w, b, 0.1)
    dx, dw, db = backward(solution, dy, x, w, mean, rstd)
    ref = reference(x, w, b, dy, eps=0.1)
    recomputed = reference(x, w, b, dy)
    assert_close(dx, ref[3], rtol=1e-4, atol=1e-5, name="dx with mean, rstd from a forward with eps=0.1",
                 mistakes={LABELS["bwd_recomputes_statistics"]: recomputed[3]})
    assert_close(dw, ref[4], rtol=1e-4, atol=1e-4, name="dweight with mean, rstd from a forward with eps=0.1",
                 mistakes={LABELS["bwd_recomputes_statistics"]: recomputed[4]})


def test_default_eps_is_1e_5(solution):
    """Rows with std ≈ 3e-3 (var ≈ 1e-5): the default eps = 1e-5 changes y by about 30 %."""
    require_memory_safe()
    x, w, b, dy = make((4, 60), seed=6, scale=3e-3)
    y, _, rstd = solution.layernorm_fwd(x, w, b)
    ref = reference(x, w, b, dy)
    assert_close(rstd, ref[2], rtol=1e-4, atol=0, name="rstd of layernorm_fwd(x, w, b) with the default eps",
                 mistakes={LABELS["default_eps_wrong"]: reference(x, w, b, dy, eps=1e-6)[2]})
    assert_close(y, ref[0], rtol=1e-4, atol=1e-5, name="y with the default eps")


def test_every_output_element_comes_from_the_kernels(solution):
    """With the launches skipped nothing may compute y, mean, rstd, dx, dweight or dbias (only summing the
    kernels' partial sums is allowed)."""
    require_memory_safe()
    x, w, b, dy = make((9, 50), seed=7)
    x = padded(x, row_pad=3)
    _, mean, rstd = forward(solution, x, w, b)
    y_out = torch.zeros(9, 50, device=DEVICE)
    assert_kernel_did_the_work(solution, lambda: solution.layernorm_fwd(x, w, b, EPS, out=y_out), inputs=(x, w, b),
                               names=["y", "mean", "rstd"])
    assert_kernel_did_the_work(solution, lambda: solution.layernorm_bwd(dy, x, w, mean, rstd),
                               inputs=(dy, x, w, mean, rstd), names=["dx", "dweight", "dbias"])
    one_row, _, _, _ = make((1, 50), seed=8)  # no special case for a single row either
    assert_kernel_did_the_work(solution, lambda: solution.layernorm_fwd(one_row, w, b, EPS), inputs=(one_row, w, b),
                               names=["y of a single row", "mean of a single row", "rstd of a single row"])


def test_both_kernels_are_launched(solution):
    require_memory_safe()
    x, w, b, dy = make((5, 40), seed=2)
    with launch_counter(solution.layernorm_fwd_kernel) as fwd_launches:
        _, mean, rstd = solution.layernorm_fwd(x, w, b, EPS)
    assert_launched(fwd_launches)
    with launch_counter(solution.layernorm_bwd_kernel) as bwd_launches:
        solution.layernorm_bwd(dy, x, w, mean, rstd)
    assert_launched(bwd_launches)
