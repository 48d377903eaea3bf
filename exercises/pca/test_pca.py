"""Hidden suite for pca: components and variances against an eigendecomposition of the covariance matrix
(an independent route to the same answer), the sign convention, transform and inverse."""

import numpy as np
import pytest

from quizcli.testing import assert_close, expect_value_error, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def flip(V):
    return V * np.sign(V[np.arange(len(V)), np.abs(V).argmax(axis=1)])[:, None]


def ref_fit(X, k=None, mistake=None):
    X = np.asarray(X, float)
    n, d = X.shape
    k = min(n, d) if k is None else k
    mean = X.mean(0)
    Xc = X if mistake == "not_centred" else X - mean
    if mistake == "gram_vectors_as_components":
        w, U = np.linalg.eigh(Xc @ Xc.T)
        order = np.argsort(w)[::-1]
        V, w = flip(U[:, order].T), np.clip(w[order], 0, None)
    else:
        w, V = np.linalg.eigh(Xc.T @ Xc)
        order = np.argsort(w)[::-1]
        w, V = np.clip(w[order], 0, None), flip(V[:, order].T)
        if mistake == "components_as_columns":
            V = V.T
    var = {"variance_not_squared": np.sqrt(w) / (n - 1), "variance_over_n": w / n}.get(mistake, w / (n - 1))
    var = var[: min(n, d)]
    ratio = var[:k] / (var[:k].sum() if mistake == "ratio_over_kept" else var.sum())
    return mean, V[:k], var[:k], ratio


FIT_MISTAKES = ("not_centred", "variance_not_squared", "variance_over_n", "ratio_over_kept", "components_as_columns",
                "gram_vectors_as_components")
PARTS = ("mean", "components", "explained_variance", "explained_variance_ratio")


def data(seed, n, d, offset=5.0):
    rng = np.random.default_rng(seed)
    scales = np.geomspace(4.0, 0.5, d)  # well-separated variances: the axes are unique
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0]
    return (rng.normal(size=(n, d)) * scales) @ basis.T + offset * rng.normal(size=d)


def check_fit(got, want, what, wrong, rtol=1e-8, atol=1e-9):
    assert isinstance(got, tuple) and len(got) == 4, f"{what}: must return {PARTS}"
    for i, part in enumerate(PARTS):
        assert_close(np.asarray(got[i], dtype=float), want[i], rtol=rtol, atol=atol, name=f"{what}: {part}",
                     mistakes={label: w[i] for label, w in wrong.items()})


def fit_wrong(X, k=None, mistakes=FIT_MISTAKES):
    out = {}
    for m in mistakes:
        try:
            out[LABELS[m]] = ref_fit(X, k, m)
        except ValueError:
            pass
    return out


@pytest.mark.parametrize("seed,n,d,k", [(0, 40, 3, None), (1, 25, 5, 2), (2, 60, 4, 4), (3, 12, 6, 3)])
def test_fit(solution, seed, n, d, k):
    X = data(seed, n, d)
    got = solution.pca_fit(X) if k is None else solution.pca_fit(X, n_components=k)
    check_fit(tuple(got), ref_fit(X, k), f"pca_fit ({n} × {d}, n_components={k})", fit_wrong(X, k))


def test_wide_data(solution):
    X = data(4, 6, 10)  # n < d: at most n − 1 meaningful components
    got = solution.pca_fit(X, n_components=5)
    check_fit(tuple(got), ref_fit(X, 5), "pca_fit on 6 samples × 10 features, 5 components", fit_wrong(X, 5))


def test_sign_convention(solution):
    for seed in range(5, 11):
        X = data(seed, 30, 4)
        _, comps, _, _ = solution.pca_fit(X)
        comps = np.asarray(comps, dtype=float)
        top = comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)]
        assert np.all(top > 0), (f"seed {seed}: the largest-magnitude entry of each component must be positive, got "
                                 f"{np.round(top, 4).tolist()}" + known_mistake(LABELS["no_sign_convention"]))
        assert_close(comps, ref_fit(X)[1], rtol=1e-8, atol=1e-9, name=f"components (seed {seed})")


def test_components_are_orthonormal(solution):
    X = data(11, 50, 5)
    _, comps, _, _ = solution.pca_fit(X)
    comps = np.asarray(comps, dtype=float)
    assert_close(comps @ comps.T, np.eye(5), rtol=0, atol=1e-10, name="components @ components.T (must be I)")


def test_ratio_sums_to_one_and_matches_total_variance(solution):
    X = data(12, 35, 4)
    _, _, var, ratio = solution.pca_fit(X)
    assert_close(np.sum(var), np.var(X, axis=0, ddof=1).sum(), rtol=1e-10, atol=1e-12,
                 name="Σ explained variance = total variance (ddof = 1)",
                 mistakes={LABELS["variance_over_n"]: np.var(X, axis=0).sum()})
    assert_close(np.sum(ratio), 1.0, rtol=1e-12, atol=1e-12, name="Σ explained variance ratio with all components")


def test_transform_and_inverse(solution):
    X = data(13, 20, 4)
    mean, comps, _, _ = ref_fit(X, 2)
    Xt = data(14, 7, 4)
    Z = solution.pca_transform(Xt, mean, comps)
    assert_close(Z, (Xt - mean) @ comps.T, rtol=1e-10, atol=1e-10, name="pca_transform",
                 mistakes={LABELS["transform_not_centred"]: Xt @ comps.T})
    back = solution.pca_inverse_transform(Z, mean, comps)
    want = ((Xt - mean) @ comps.T) @ comps + mean
    assert_close(back, want, rtol=1e-10, atol=1e-10, name="pca_inverse_transform",
                 mistakes={LABELS["inverse_without_mean"]: ((Xt - mean) @ comps.T) @ comps})


def test_full_round_trip_and_reconstruction_error(solution):
    X = data(15, 30, 3)
    mean, comps, var, _ = solution.pca_fit(X)
    back = solution.pca_inverse_transform(solution.pca_transform(X, mean, comps), mean, comps)
    assert_close(back, X, rtol=1e-10, atol=1e-9, name="inverse(transform(X)) with every component must give X")
    m2, c2, _, _ = solution.pca_fit(X, n_components=1)
    err = np.sum((solution.pca_inverse_transform(solution.pca_transform(X, m2, c2), m2, c2) - X) ** 2)
    assert_close(err, (len(X) - 1) * np.sum(np.asarray(var)[1:]), rtol=1e-8, atol=1e-9,
                 name="squared reconstruction error with 1 component = (n − 1) · the discarded variance")


def test_constant_data(solution):
    X = np.ones((5, 3)) * 2.5
    mean, comps, var, ratio = solution.pca_fit(X, n_components=2)
    assert_close(mean, [2.5, 2.5, 2.5], rtol=0, atol=1e-12, name="mean of constant data")
    assert_close(var, np.zeros(2), rtol=0, atol=1e-12, name="variance of constant data")
    assert np.all(np.isfinite(np.asarray(ratio, dtype=float))), "explained variance ratio of constant data must be 0, not NaN"
    assert_close(ratio, np.zeros(2), rtol=0, atol=0, name="explained variance ratio of constant data (total variance 0)")


def test_bad_arguments(solution):
    X = data(16, 10, 3)
    expect_value_error(lambda: solution.pca_fit(X, n_components=0), "pca_fit(n_components=0)")
    expect_value_error(lambda: solution.pca_fit(X, n_components=4), "pca_fit(n_components=4) on 3 features")
    expect_value_error(lambda: solution.pca_fit(X[:1]), "pca_fit on a single sample")
    expect_value_error(lambda: solution.pca_fit(X, n_components=-1), "pca_fit(n_components=-1)")
    wide = data(19, 3, 5)
    expect_value_error(lambda: solution.pca_fit(wide, n_components=4), "pca_fit(n_components=4) on 3 samples × 5 features")


def test_inputs_not_modified(solution):
    X = data(17, 15, 3)
    X0 = X.copy()
    mean, comps, _, _ = solution.pca_fit(X)
    solution.pca_transform(X, mean, comps)
    assert np.array_equal(X, X0), "pca_fit / pca_transform must not centre X in place"


def test_variant_shape(solution, variant):
    n, d, k = variant.get("n", 30), variant.get("d", 4), variant.get("n_components", 2)
    X = data(18, n, d)
    check_fit(tuple(solution.pca_fit(X, n_components=k)), ref_fit(X, k), f"pca_fit ({n} × {d}, {k} components)",
              fit_wrong(X, k))
