"""Hidden suite for layernorm_np: NumPy LayerNorm forward and backward against torch (float64 autograd)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)


def torch_ref(x, gamma, beta, dy, eps=1e-5):
    """(y, dx, dgamma, dbeta) from torch's layer_norm in float64."""
    t = lambda a: torch.tensor(np.asarray(a, np.float64), requires_grad=True)  # noqa: E731
    xt, gt, bt = t(x), t(gamma), t(beta)
    y = F.layer_norm(xt, (xt.shape[-1],), gt, bt, eps)
    y.backward(torch.from_numpy(np.asarray(dy, np.float64)))
    return y.detach().numpy(), xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


def forward_mistakes(x, gamma, beta, eps=1e-5):
    x = np.asarray(x, np.float64)
    mu, d = x.mean(-1, keepdims=True), x.shape[-1]
    wrong = {"eps_outside_sqrt": gamma * (x - mu) / (x.std(-1, keepdims=True) + eps) + beta}
    if d > 1:
        wrong["unbiased_variance"] = gamma * (x - mu) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + eps) + beta
    if x.shape[0] > 1:
        mb = x.mean(0, keepdims=True)
        wrong["stats_over_batch"] = gamma * (x - mb) / np.sqrt(x.var(0, keepdims=True) + eps) + beta
    with np.errstate(invalid="ignore"):
        one_pass = (x * x).mean(-1, keepdims=True) - mu * mu
        wrong["one_pass_variance"] = gamma * (x - mu) / np.sqrt(one_pass + eps) + beta
    return {LABELS[k]: v for k, v in wrong.items()}


def backward_mistakes(x, gamma, dy, eps=1e-5):
    x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
    inv_std = 1 / np.sqrt(x.var(-1, keepdims=True) + eps)
    g = dy * gamma
    return {LABELS["dx_no_mean_terms"]: inv_std * g,
            LABELS["dx_no_variance_term"]: inv_std * (g - g.mean(-1, keepdims=True))}


def param_mistakes(x, dy, eps=1e-5):
    if x.ndim < 3:
        return {}, {}
    x_hat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    label = LABELS["param_grads_first_axis_only"]
    return {label: (dy * x_hat).sum(0)}, {label: dy.sum(0)}


def data(seed, shape, scale=2.0, offset=0.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    d = shape[-1]
    x = (offset + scale * rng.standard_normal(shape)).astype(dtype)
    gamma = (1 + 0.5 * rng.standard_normal(d)).astype(dtype)
    beta = (0.5 * rng.standard_normal(d)).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    return x, gamma, beta, dy


def run(solution, x, gamma, beta, dy, **kw):
    before = (x.copy(), dy.copy())
    y, cache = solution.layernorm_forward(x, gamma, beta, **kw)
    dx, dgamma, dbeta = solution.layernorm_backward(dy, cache)
    assert np.array_equal(x, before[0]) and np.array_equal(dy, before[1]), "x or dy was modified in place"
    return y, dx, dgamma, dbeta


def check_all(solution, x, gamma, beta, dy, what, rtol=1e-9, atol=1e-10, **kw):
    y, dx, dgamma, dbeta = run(solution, x, gamma, beta, dy, **kw)
    want = torch_ref(x, gamma, beta, dy, **kw)
    assert_close(y, want[0], rtol=rtol, atol=atol, name=f"y {what}", mistakes=forward_mistakes(x, gamma, beta, **kw))
    assert_close(dx, want[1], rtol=rtol, atol=atol, name=f"dx {what}",
                 mistakes=backward_mistakes(x, gamma, dy, **kw))
    wrong_g, wrong_b = param_mistakes(np.asarray(x, np.float64), np.asarray(dy, np.float64), **kw)
    assert_close(dgamma, want[2], rtol=rtol, atol=atol, name=f"dgamma {what}", mistakes=wrong_g)
    assert_close(dbeta, want[3], rtol=rtol, atol=atol, name=f"dbeta {what}", mistakes=wrong_b)


@pytest.mark.parametrize("shape,seed", [((4, 8), 0), ((2, 3, 5), 1), ((2, 2, 3, 6), 2), ((7, 16), 3), ((1, 4), 4)])
def test_forward_and_backward_match_torch(solution, shape, seed):
    x, gamma, beta, dy = data(seed, shape)
    check_all(solution, x, gamma, beta, dy, f"(x {shape})")


def test_transformer_shapes(solution, variant):
    shape = tuple(variant.get("shape", (2, 3, 8)))
    x, gamma, beta, dy = data(13, shape)
    check_all(solution, x, gamma, beta, dy, f"(x {shape})")


def test_default_eps_is_1e_5(solution):
    # The variance (1e-6) is smaller than eps here: the default eps changes every output.
    x, gamma, beta, dy = data(5, (3, 6), scale=1e-3)
    check_all(solution, x, gamma, beta, dy, "(tiny spread, default eps)", rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("eps", [1e-2, 1e-12])
def test_other_eps(solution, eps):
    x, gamma, beta, dy = data(6, (4, 5), scale=0.05)
    check_all(solution, x, gamma, beta, dy, f"(eps={eps})", rtol=1e-8, atol=1e-8, eps=eps)


def test_large_mean_small_spread(solution):
    # mean 1e6, spread 1: E[x²] − E[x]² loses every digit of the variance in float64
    x, gamma, beta, dy = data(7, (3, 8), scale=1.0, offset=1e6)
    check_all(solution, x, gamma, beta, dy, "(values ≈ 1e6 ± 1)", rtol=1e-6, atol=1e-6)


def test_strided_view_input(solution):
    x, gamma, beta, dy = data(8, (6, 10))
    xv = x.T[:5].T  # (6, 5) view, not contiguous
    check_all(solution, xv, gamma[:5], beta[:5], dy[:, :5], "(a non-contiguous view)")


def test_one_feature_and_constant_rows(solution):
    x, gamma, beta, dy = data(9, (4, 1))
    check_all(solution, x, gamma, beta, dy, "(D = 1: x̂ = 0, y = β, dx = 0)", atol=1e-12)
    x, gamma, beta, dy = data(10, (3, 4))
    x[1] = 2.5  # a constant row: variance 0, only eps keeps it finite
    check_all(solution, x, gamma, beta, dy, "(one constant row)", rtol=1e-8, atol=1e-8)


def test_float32_stays_float32(solution):
    x, gamma, beta, dy = data(11, (4, 12), dtype=np.float32)
    y, dx, dgamma, dbeta = run(solution, x, gamma, beta, dy)
    want = torch_ref(x, gamma, beta, dy)
    for name, got, exp in zip(("y", "dx", "dgamma", "dbeta"), (y, dx, dgamma, dbeta), want):
        assert_close(got, exp, rtol=1e-4, atol=1e-5, dtype="float32", name=f"{name} (float32)")


def test_gradient_by_finite_differences(solution):
    # Independent of torch: d(Σ w·y)/dx by central differences on a small input.
    x, gamma, beta, w = data(12, (2, 4))
    _, cache = solution.layernorm_forward(x, gamma, beta)
    dx, _, _ = solution.layernorm_backward(w, cache)
    h, num = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        num[i] = ((w * solution.layernorm_forward(xp, gamma, beta)[0]).sum()
                  - (w * solution.layernorm_forward(xm, gamma, beta)[0]).sum()) / (2 * h)
    assert_close(dx, num, rtol=1e-5, atol=1e-6, name="dx against central finite differences of your own forward",
                 mistakes=backward_mistakes(x, gamma, w))
