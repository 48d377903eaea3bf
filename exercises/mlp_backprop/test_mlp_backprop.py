"""Hidden suite for mlp_backprop: the NumPy forward and backward against torch autograd (float64)."""

import numpy as np
import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)
NAMES = ("dx", "dW1", "db1", "dW2", "db2")


def torch_ref(x, W1, b1, W2, b2, dout):
    leaves = [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in (x, W1, b1, W2, b2)]
    xt, w1, c1, w2, c2 = leaves
    out = torch.relu(xt @ w1 + c1) @ w2 + c2
    out.backward(torch.from_numpy(np.asarray(dout, np.float64)))
    return out.detach().numpy(), [t.grad.numpy() for t in leaves]


def wrong_grads(x, W1, b1, W2, b2, dout):
    """Each classic mistake's gradients, computed here from the formulas (a dict per gradient name)."""
    x, W1, W2, dout = (np.asarray(a, np.float64) for a in (x, W1, W2, dout))
    pre = x @ W1 + b1
    h = np.maximum(pre, 0)
    dh = dout @ W2.T
    n = len(x)
    wrong = {"dW2": {"weight_grad_transposed": (dout.T @ h)}, "db2": {"bias_grad_mean": dout.sum(0) / n}}
    for mistake, dpre in (("relu_mask_from_gradient", dh * (dh > 0)), ("relu_grad_one_at_zero", dh * (pre >= 0)),
                          ("relu_skipped_in_backward", dh)):
        wrong.setdefault("dx", {})[mistake] = dpre @ W1.T
        wrong.setdefault("dW1", {})[mistake] = x.T @ dpre
    good = dh * (pre > 0)
    wrong["dx"]["input_grad_not_transposed"] = good @ W1 if W1.shape[0] == W1.shape[1] else None
    wrong["db1"] = {"bias_grad_mean": good.sum(0) / n}
    return {k: {LABELS[m]: v for m, v in d.items() if v is not None} for k, d in wrong.items()}


def data(seed, n, d, h, o, dtype=np.float64, integers=False):
    rng = np.random.default_rng(seed)
    def draw(shape):
        return rng.integers(-2, 3, shape).astype(float) if integers else rng.standard_normal(shape)
    return tuple(np.asarray(draw(s), dtype) for s in ((n, d), (d, h), (h,), (h, o), (o,), (n, o)))


def check(solution, x, W1, b1, W2, b2, dout, what, rtol=1e-10, atol=1e-12, dtype=None):
    before = [a.copy() for a in (x, W1, b1, W2, b2, dout)]
    out, cache = solution.mlp_forward(x, W1, b1, W2, b2)
    grads = solution.mlp_backward(dout, cache)
    for a, b in zip((x, W1, b1, W2, b2, dout), before):
        assert np.array_equal(a, b), "an input array was modified"
    want_out, want = torch_ref(x, W1, b1, W2, b2, dout)
    assert_close(out, want_out, rtol=rtol, atol=atol, name=f"out {what}", dtype=dtype)
    assert isinstance(grads, tuple) and len(grads) == 5, "mlp_backward must return (dx, dW1, db1, dW2, db2)"
    wrong = wrong_grads(x, W1, b1, W2, b2, dout)
    for name, got, exp in zip(NAMES, grads, want):
        named = {k: v for k, v in wrong.get(name, {}).items() if v.shape != exp.shape or not np.allclose(v, exp)}
        assert_close(got, exp, rtol=rtol, atol=atol, name=f"{name} {what}", dtype=dtype, mistakes=named)


@pytest.mark.parametrize("n,d,h,o,seed", [(8, 5, 7, 3, 0), (1, 4, 6, 2, 1), (16, 3, 10, 4, 2), (5, 6, 6, 6, 3),
                                          (4, 1, 3, 1, 4)])
def test_forward_and_gradients_match_autograd(solution, n, d, h, o, seed):
    check(solution, *data(seed, n, d, h, o), f"(N={n}, D={d}, H={h}, O={o})")


def test_relu_derivative_at_exactly_zero_is_zero(solution):
    # small integers make many pre-activations exactly 0
    args = data(5, 12, 4, 8, 3, integers=True)
    pre = args[0] @ args[1] + args[2]
    assert (pre == 0).any()
    check(solution, *args, f"(integer inputs: {int((pre == 0).sum())} pre-activations are exactly 0)")


def test_square_layers_catch_transposes(solution):
    check(solution, *data(6, 6, 6, 6, 6), "(N = D = H = O = 6: a transpose keeps the shape)")


def test_non_contiguous_inputs(solution):
    x, W1, b1, W2, b2, dout = data(7, 5, 4, 6, 3)
    check(solution, np.asfortranarray(x), W1.T.copy().T, b1, np.ascontiguousarray(W2.T).T, b2, dout[::-1][::-1],
          "(Fortran-ordered and transposed views)")


def test_float32_stays_float32(solution):
    args = data(8, 6, 5, 7, 4, dtype=np.float32)
    check(solution, *args, "(float32)", rtol=1e-4, atol=1e-5, dtype="float32")


def test_gradient_by_finite_differences(solution):
    x, W1, b1, W2, b2, w = data(9, 3, 3, 4, 2)
    _, cache = solution.mlp_forward(x, W1, b1, W2, b2)
    dx, dW1, *_ = solution.mlp_backward(w, cache)
    loss = lambda x_, W1_: float((w * solution.mlp_forward(x_, W1_, b1, W2, b2)[0]).sum())  # noqa: E731
    eps = 1e-6
    for name, arr, got in (("dx", x, dx), ("dW1", W1, dW1)):
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            up, down = arr.copy(), arr.copy()
            up[i] += eps
            down[i] -= eps
            num[i] = (loss(up, W1) - loss(down, W1) if name == "dx" else loss(x, up) - loss(x, down)) / (2 * eps)
        assert_close(got, num, rtol=1e-5, atol=1e-6, name=f"{name} against central finite differences")


def test_batch_of_the_variant(solution, variant):
    n, d, h, o = (variant.get(k, v) for k, v in (("n", 32), ("d", 16), ("h", 64), ("o", 10)))
    check(solution, *data(10, n, d, h, o), f"(N={n}, D={d}, H={h}, O={o})")
