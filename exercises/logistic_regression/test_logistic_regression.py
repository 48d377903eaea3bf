"""Hidden suite for logistic_regression: sigmoid, loss, gradients and gradient-descent fits against float64
numpy references written here, plus optimality (a zero gradient) of long fits and overflow checks."""

import numpy as np
import pytest

from quizcli.testing import assert_close, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)
RAISE = dict(over="raise", invalid="raise", divide="raise")


def ref_sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))  # σ(z) = exp(−log(1 + e^(−z)))


def ref_loss(w, b, X, y, l2=0.0):
    z = X @ w + b
    return np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z) + l2 / 2 * np.sum(w * w)


def ref_grad(w, b, X, y, l2=0.0, mistake=None):
    r = ref_sigmoid(X @ w + b) - y
    n = 1 if mistake == "gradient_not_averaged" else len(y)
    dw = np.einsum("ij,i->j", X, r) / n + (2 if mistake == "l2_gradient_doubled" else 1) * l2 * w
    db = r.sum() / n + (l2 * b if mistake == "bias_regularised" else 0.0)
    return dw, db


def ref_fit(X, y, lr=0.1, l2=0.0, epochs=100, mistake=None):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        dw, db = ref_grad(w, b, X, y, l2, mistake)
        if mistake == "bias_uses_updated_weights":
            w = w - lr * dw
            db = ref_grad(w, b, X, y, l2)[1]
        else:
            w = w - lr * dw
        b = b - lr * db
    return w, b


def ref_softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    lse = np.log(np.sum(np.exp(Z - Z.max(1, keepdims=True)), 1, keepdims=True)) + Z.max(1, keepdims=True)
    return np.exp(Z - lse)


def ref_fit_multi(X, y, C, lr=0.1, l2=0.0, epochs=100, mistake=None):
    W, b = np.zeros((X.shape[1], C)), np.zeros(C)
    Y = np.eye(C)[y]
    for _ in range(epochs):
        R = ref_softmax(X @ W + b) - Y
        dW = X.T @ R / len(y) + l2 * W
        db = R.mean(0) + (l2 * b if mistake == "multinomial_bias_regularised" else 0)
        W, b = W - lr * dW, b - lr * db
    return W, b


BIN_MISTAKES = ("bias_regularised", "gradient_not_averaged", "l2_gradient_doubled", "bias_uses_updated_weights")


def binary_data(seed, n, d, scale=1.0):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    y = (rng.random(n) < ref_sigmoid(X @ w_true + 0.5)).astype(np.float64)
    return X, y


def multi_data(seed, n, d, C):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.argmax(X @ rng.normal(size=(d, C)) + rng.gumbel(size=(n, C)), axis=1)
    return X, y


def check_fit(got, want, what, wrong, rtol=1e-9, atol=1e-11):
    assert isinstance(got, tuple) and len(got) == 2, f"{what}: must return a tuple (weights, bias)"
    for part, g, e in zip(("weights", "bias"), got, want):
        assert_close(np.asarray(g, dtype=np.float64), e, rtol=rtol, atol=atol, name=f"{what}: {part}",
                     mistakes={label: np.asarray(m[part == "bias"]) for label, m in wrong.items()})


# --- sigmoid and loss ----------------------------------------------------------------------------

def test_sigmoid_values_without_overflow(solution):
    z = np.array([-1e4, -800.0, -710.0, -40.0, -1.0, 0.0, 1e-8, 2.5, 40.0, 710.0, 1e4])
    with np.errstate(**RAISE):
        try:
            got = solution.sigmoid(z)
        except FloatingPointError as exc:
            raise AssertionError(f"sigmoid({z.tolist()}) overflowed ({exc}){known_mistake(LABELS['naive_sigmoid'])}") from None
    assert_close(got, ref_sigmoid(z), rtol=1e-12, atol=1e-15, name="sigmoid over ±1e4")


def test_sigmoid_keeps_shape(solution):
    z = np.linspace(-5, 5, 12).reshape(3, 4)
    z0 = z.copy()
    assert_close(solution.sigmoid(z), ref_sigmoid(z0), rtol=1e-12, atol=1e-15, name="sigmoid of a (3, 4) array")
    assert np.array_equal(z, z0), "sigmoid changed its argument z in place"


@pytest.mark.parametrize("seed,n,d,l2", [(0, 20, 3, 0.0), (1, 7, 5, 0.3), (2, 1, 2, 1.0)])
def test_binary_loss(solution, seed, n, d, l2):
    X, y = binary_data(seed, n, d)
    w, b = np.random.default_rng(seed + 10).normal(size=d), 0.7
    assert_close(solution.binary_loss(w, b, X, y, l2=l2), ref_loss(w, b, X, y, l2), rtol=1e-10, atol=1e-12,
                 name=f"binary_loss (n={n}, d={d}, l2={l2})")


def test_binary_loss_default_l2_and_large_logits(solution):
    X = np.array([[1.0], [-1.0], [2.0], [-3.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    w, b = np.array([500.0]), 0.0  # logits ±500 ... ±1500: confident and half of them wrong
    with np.errstate(**RAISE):
        try:
            got = solution.binary_loss(w, b, X, y)
        except FloatingPointError as exc:
            raise AssertionError(f"binary_loss overflowed for logits of ±1500 ({exc})"
                                 + known_mistake(LABELS["log_of_sigmoid_loss"])) from None
    assert np.isfinite(got), f"binary_loss is {got} for logits of ±1500{known_mistake(LABELS['log_of_sigmoid_loss'])}"
    assert_close(got, ref_loss(w, b, X, y), rtol=1e-12, atol=1e-12, name="binary_loss, default l2=0, logits ±1500")


# --- gradients and fits ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,d,l2", [(3, 30, 4, 0.0), (4, 9, 2, 0.5), (5, 1, 3, 0.1)])
def test_binary_gradient(solution, seed, n, d, l2):
    X, y = binary_data(seed, n, d)
    w, b = np.random.default_rng(seed + 20).normal(size=d), -0.4
    got = solution.binary_grad(w, b, X, y, l2=l2)
    want = ref_grad(w, b, X, y, l2)
    check_fit(tuple(got), want, f"binary_grad (n={n}, l2={l2})",
              {LABELS[m]: ref_grad(w, b, X, y, l2, m) for m in BIN_MISTAKES[:3]})
    # and it is the derivative of the loss (central differences)
    h = 1e-6
    num_b = (ref_loss(w, b + h, X, y, l2) - ref_loss(w, b - h, X, y, l2)) / (2 * h)
    assert_close(got[1], num_b, rtol=1e-5, atol=1e-7, name="d loss / d b against a central difference")


@pytest.mark.parametrize("seed,kw", [(6, {}), (7, {"lr": 0.5, "l2": 0.1, "epochs": 30}),
                                     (8, {"lr": 0.05, "l2": 1.0, "epochs": 7})], ids=["defaults", "l2=0.1", "l2=1"])
def test_fit_binary_matches_gradient_descent(solution, seed, kw):
    X, y = binary_data(seed, 40, 3)
    got = solution.fit_binary(X, y, **kw)
    check_fit(tuple(got), ref_fit(X, y, **kw), f"fit_binary({kw})",
              {LABELS[m]: ref_fit(X, y, mistake=m, **kw) for m in BIN_MISTAKES})


def test_fit_binary_converges_to_the_regularised_optimum(solution):
    X, y = binary_data(9, 60, 2)
    w, b = solution.fit_binary(X, y, lr=1.0, l2=0.5, epochs=400)
    dw, db = ref_grad(np.asarray(w), float(b), X, y, 0.5)
    assert_close(np.append(dw, db), np.zeros(3), rtol=0, atol=1e-8,
                 name="gradient of the regularised loss at the fitted (w, b) (must be ≈ 0)")


def test_fit_binary_with_large_features_does_not_overflow(solution):
    X, y = binary_data(10, 30, 2, scale=500.0)
    with np.errstate(**RAISE):
        try:
            got = solution.fit_binary(X, y, lr=0.01, epochs=20)
        except FloatingPointError as exc:
            raise AssertionError(f"fit_binary overflowed on features of scale 500 ({exc})"
                                 + known_mistake(LABELS["naive_sigmoid"])) from None
    check_fit(tuple(got), ref_fit(X, y, lr=0.01, epochs=20), "fit_binary on features of scale 500",
              {LABELS[m]: ref_fit(X, y, lr=0.01, epochs=20, mistake=m) for m in BIN_MISTAKES}, rtol=1e-8)


# --- multinomial ---------------------------------------------------------------------------------

def test_softmax_rows_and_extremes(solution):
    Z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0], [-800.0, -801.0, -799.0]])
    Z0 = Z.copy()
    with np.errstate(over="raise", invalid="raise"):
        try:
            got = solution.softmax(Z)
        except FloatingPointError as exc:
            raise AssertionError(f"softmax overflowed for logits of ±1000 ({exc})"
                                 + known_mistake(LABELS["softmax_without_max"])) from None
    assert_close(got, ref_softmax(Z0), rtol=1e-12, atol=1e-15, name="softmax rows with logits of ±1000")
    assert np.array_equal(Z, Z0), "softmax changed its argument Z in place" + known_mistake(LABELS["softmax_in_place"])


@pytest.mark.parametrize("seed,C,kw", [(11, 3, {}), (12, 4, {"lr": 0.3, "l2": 0.2, "epochs": 25}),
                                       (13, 2, {"l2": 1.0, "epochs": 10})], ids=["defaults", "C4-l2", "C2"])
def test_fit_multinomial_matches_gradient_descent(solution, seed, C, kw):
    X, y = multi_data(seed, 36, 3, C)
    got = solution.fit_multinomial(X, y, C, **kw)
    assert np.shape(got[0]) == (3, C) and np.shape(got[1]) == (C,), \
        f"fit_multinomial must return W of shape (3, {C}) and b of shape ({C},), got {np.shape(got[0])}, {np.shape(got[1])}"
    check_fit(tuple(got), ref_fit_multi(X, y, C, **kw), f"fit_multinomial(C={C}, {kw})",
              {LABELS["multinomial_bias_regularised"]: ref_fit_multi(X, y, C, mistake="multinomial_bias_regularised",
                                                                     **kw)})


def test_fit_multinomial_absent_class_and_batch_one(solution):
    X, y = multi_data(14, 1, 2, 3)
    got = solution.fit_multinomial(X, np.array([2]), 4, lr=0.5, l2=0.3, epochs=5)
    check_fit(tuple(got), ref_fit_multi(X, np.array([2]), 4, lr=0.5, l2=0.3, epochs=5),
              "one sample of class 2 out of 4 classes",
              {LABELS["multinomial_bias_regularised"]: ref_fit_multi(X, np.array([2]), 4, lr=0.5, l2=0.3, epochs=5,
                                                                     mistake="multinomial_bias_regularised")})


def test_fit_multinomial_large_logits(solution):
    X, y = multi_data(15, 20, 2, 3)
    X = 300.0 * X
    with np.errstate(over="raise", invalid="raise"):
        try:
            got = solution.fit_multinomial(X, y, 3, lr=1.0, epochs=10)
        except FloatingPointError as exc:
            raise AssertionError(f"fit_multinomial overflowed on features of scale 300 ({exc})"
                                 + known_mistake(LABELS["softmax_without_max"])) from None
    check_fit(tuple(got), ref_fit_multi(X, y, 3, lr=1.0, epochs=10), "fit_multinomial on features of scale 300",
              {}, rtol=1e-8, atol=1e-8)


def test_fit_does_not_modify_the_data(solution):
    X, y = binary_data(16, 10, 2)
    X0, y0 = X.copy(), y.copy()
    solution.fit_binary(X, y, epochs=3)
    solution.fit_multinomial(X, y.astype(int), 2, epochs=3)
    assert np.array_equal(X, X0) and np.array_equal(y, y0), "fitting must not change X or y"


def test_variant_training_setup(solution, variant):
    lr, l2, epochs = variant.get("lr", 0.2), variant.get("l2", 0.05), variant.get("epochs", 50)
    X, y = binary_data(17, 50, 4)
    got = solution.fit_binary(X, y, lr=lr, l2=l2, epochs=epochs)
    check_fit(tuple(got), ref_fit(X, y, lr=lr, l2=l2, epochs=epochs), f"fit_binary(lr={lr}, l2={l2}, epochs={epochs})",
              {LABELS[m]: ref_fit(X, y, lr=lr, l2=l2, epochs=epochs, mistake=m) for m in BIN_MISTAKES}, rtol=1e-8)
