"""Hidden suite for naive_bayes: fitted parameters and log posteriors against references written here
(per-class loops, math.log, a max-shifted log-sum-exp), long documents, constant features."""

import math

import numpy as np
import pytest

from quizcli.testing import assert_close, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def ref_prior(y, C, mistake=None):
    return np.array([math.log(np.sum(y == c) / len(y)) for c in range(C)])


def ref_fit_multi(X, y, alpha=1.0, mistake=None):
    C, V = int(y.max()) + 1, X.shape[1]
    rows = []
    for c in range(C):
        n_cw = X[y == c].sum(axis=0)
        denom = n_cw.sum() + {"smoothing_numerator_only": 0.0, "smoothing_denominator_alpha": alpha}.get(mistake,
                                                                                                         alpha * V)
        rows.append([math.log((v + alpha) / denom) for v in n_cw])
    return ref_prior(y, C), np.array(rows)


def lse_normalise(J, mistake=None):
    out = []
    for row in J:
        if mistake == "normalise_without_max":
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append(row - np.log(np.sum(np.exp(row))))
            continue
        m = max(row)
        with np.errstate(invalid="ignore"):  # a wrong answer's row of −inf gives NaN, as the mistake would
            out.append(row - (m + math.log(sum(math.exp(v - m) for v in row))))
    return np.array(out)


def ref_multi_proba(X, prior, lik, mistake=None):
    J = np.array([[sum(x[w] * lik[c, w] for w in range(len(x))) for c in range(len(prior))] for x in X])
    if mistake != "prior_omitted":
        J = J + prior
    if mistake == "product_of_probabilities":
        with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
            J = np.log(np.exp(prior) * np.prod(np.exp(lik)[None] ** X[:, None, :], axis=2))
    return lse_normalise(J, mistake)


def ref_fit_gauss(X, y, var_smoothing=1e-9, mistake=None):
    C = int(y.max()) + 1
    means = np.array([X[y == c].mean(0) for c in range(C)])
    ddof = 1 if mistake == "gaussian_sample_variance" else 0
    with np.errstate(invalid="ignore", divide="ignore"):  # ddof = 1 on a one-sample class: the mistake gives NaN
        var = np.array([((X[y == c] - means[c]) ** 2).sum(0) / (np.sum(y == c) - ddof) for c in range(C)])
    if mistake != "no_variance_smoothing":
        var = var + var_smoothing * max(np.var(X[:, j]) for j in range(X.shape[1]))
    return ref_prior(y, C), means, var


def ref_gauss_proba(X, prior, means, var, mistake=None):
    J = []
    for x in X:
        row = []
        for c in range(len(prior)):
            s = prior[c]
            for j, v in enumerate(x):
                s += -0.5 * (v - means[c, j]) ** 2 / var[c, j]
                if mistake != "gaussian_without_normaliser":
                    s += -0.5 * math.log(2 * math.pi * var[c, j])
            row.append(s)
        J.append(row)
    return lse_normalise(np.array(J))


def docs(seed, n, V, C, length=20):
    rng = np.random.default_rng(seed)
    topics = rng.dirichlet(np.full(V, 0.5), size=C)
    skew = np.arange(1, C + 1) / np.arange(1, C + 1).sum()  # unequal priors, every class present
    y = np.r_[np.arange(C), rng.choice(C, n - C, p=skew)]
    X = np.array([rng.multinomial(length, topics[c]) for c in y], dtype=np.int64)
    return X, y


def gauss_data(seed, n, d, C):
    rng = np.random.default_rng(seed)
    y = np.r_[np.arange(C), rng.choice(C, n - C, p=np.arange(1, C + 1) / np.arange(1, C + 1).sum())]
    centres, scales = 2 * rng.normal(size=(C, d)), 0.5 + rng.random((C, d))
    return centres[y] + scales[y] * rng.normal(size=(n, d)), y


def check_parts(got, want, names, what, wrong, rtol=1e-10, atol=1e-10):
    assert isinstance(got, tuple) and len(got) == len(want), f"{what}: must return a tuple {names}"
    for i, name in enumerate(names):
        assert_close(np.asarray(got[i], dtype=float), want[i], rtol=rtol, atol=atol, name=f"{what}: {name}",
                     mistakes={label: w[i] for label, w in wrong.items()})


MULTI_FIT = ("smoothing_numerator_only", "smoothing_denominator_alpha")


# --- multinomial -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,V,C,alpha", [(0, 12, 6, 2, 1.0), (1, 15, 9, 3, 0.5), (2, 8, 4, 4, 2.0)])
def test_multinomial_fit(solution, seed, n, V, C, alpha):
    X, y = docs(seed, n, V, C)
    got = solution.fit_multinomial_nb(X, y, alpha=alpha)
    check_parts(tuple(got), ref_fit_multi(X, y, alpha), ("log_prior", "log_likelihood"),
                f"fit_multinomial_nb ({C} classes, {V} words, alpha={alpha})",
                {LABELS[m]: ref_fit_multi(X, y, alpha, m) for m in MULTI_FIT})


def test_multinomial_default_alpha_and_unseen_words(solution):
    X, y = docs(3, 10, 7, 2)
    X[:, 6] = 0  # a word no training document uses
    got = solution.fit_multinomial_nb(X, y)
    want = ref_fit_multi(X, y)
    check_parts(tuple(got), want, ("log_prior", "log_likelihood"), "fit_multinomial_nb with the default alpha=1",
                {LABELS[m]: ref_fit_multi(X, y, 1.0, m) for m in MULTI_FIT})
    lik = np.exp(np.asarray(got[1], dtype=float))
    assert_close(lik.sum(axis=1), np.ones(2), rtol=1e-10, atol=1e-12,
                 name="each class's smoothed word probabilities must sum to 1",
                 mistakes={LABELS[m]: np.exp(ref_fit_multi(X, y, 1.0, m)[1]).sum(1) for m in MULTI_FIT})


@pytest.mark.parametrize("seed,length", [(4, 20), (5, 3000)], ids=["short", "long-documents"])
def test_multinomial_posterior(solution, seed, length):
    X, y = docs(seed, 12, 8, 3, length=length)
    prior, lik = ref_fit_multi(X, y, 1.0)
    Xt, _ = docs(seed + 10, 6, 8, 3, length=length)
    got = solution.multinomial_log_proba(Xt, prior, lik)
    assert np.all(np.isfinite(np.asarray(got, dtype=float))), \
        f"log posteriors not finite for documents of {length} words: stay in log space and normalise with log-sum-exp"
    assert_close(got, ref_multi_proba(Xt, prior, lik), rtol=1e-9, atol=1e-9,
                 name=f"multinomial log posteriors (documents of {length} words)",
                 mistakes={LABELS[m]: ref_multi_proba(Xt, prior, lik, m)
                           for m in ("prior_omitted", "product_of_probabilities", "normalise_without_max")})


def test_multinomial_prior_decides_an_empty_document(solution):
    X = np.array([[3, 0], [2, 1], [0, 4], [1, 1], [2, 0]])
    y = np.array([0, 0, 1, 0, 0])
    prior, lik = ref_fit_multi(X, y)
    empty = np.zeros((1, 2), dtype=np.int64)
    got = solution.multinomial_log_proba(empty, prior, lik)
    assert_close(got, prior[None, :], rtol=1e-12, atol=1e-12, name="an empty document's posterior is the prior",
                 mistakes={LABELS["prior_omitted"]: ref_multi_proba(empty, prior, lik, "prior_omitted")})


def test_end_to_end_multinomial(solution):
    X, y = docs(6, 30, 10, 3, length=40)
    prior, lik = solution.fit_multinomial_nb(X, y, alpha=0.1)
    got = solution.multinomial_log_proba(X, prior, lik)
    want = ref_multi_proba(X, *ref_fit_multi(X, y, 0.1))
    assert_close(got, want, rtol=1e-9, atol=1e-9, name="fit then score the training documents (alpha=0.1)")


# --- Gaussian ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,d,C,vs", [(7, 20, 3, 2, 1e-9), (8, 31, 2, 3, 1e-2), (9, 12, 4, 4, 1e-9)])
def test_gaussian_fit(solution, seed, n, d, C, vs):
    X, y = gauss_data(seed, n, d, C)
    got = solution.fit_gaussian_nb(X, y, var_smoothing=vs)
    check_parts(tuple(got), ref_fit_gauss(X, y, vs), ("log_prior", "means", "variances"),
                f"fit_gaussian_nb ({C} classes, var_smoothing={vs})",
                {LABELS[m]: ref_fit_gauss(X, y, vs, m) for m in ("gaussian_sample_variance", "no_variance_smoothing")})


def test_gaussian_default_smoothing_with_a_constant_feature(solution):
    X, y = gauss_data(10, 16, 3, 2)
    X[y == 0, 2] = 5.0  # constant within class 0: its variance is only the smoothing term
    got = solution.fit_gaussian_nb(X, y)
    assert np.all(np.asarray(got[2], dtype=float) > 0), \
        f"a variance is 0 for a feature constant within a class{known_mistake(LABELS['no_variance_smoothing'])}"
    check_parts(tuple(got), ref_fit_gauss(X, y), ("log_prior", "means", "variances"),
                "fit_gaussian_nb with the default var_smoothing=1e-9",
                {LABELS[m]: ref_fit_gauss(X, y, 1e-9, m) for m in ("gaussian_sample_variance",)})
    proba = solution.gaussian_log_proba(X, *ref_fit_gauss(X, y))
    assert np.all(np.isfinite(np.asarray(proba, dtype=float))), "log posteriors must be finite"


def test_gaussian_fit_far_from_the_origin(solution):
    # Features around 1e6 with unit spread: E[x²] − E[x]² cancels catastrophically; the mean of squared deviations does not.
    X, y = gauss_data(17, 40, 2, 2)
    X = X + 1e6
    got = solution.fit_gaussian_nb(X, y)
    check_parts(tuple(got), ref_fit_gauss(X, y), ("log_prior", "means", "variances"),
                "fit_gaussian_nb on features near 1e6 (spread ≈ 1)", {}, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("seed,C", [(11, 2), (12, 3)])
def test_gaussian_posterior(solution, seed, C):
    X, y = gauss_data(seed, 24, 3, C)
    params = ref_fit_gauss(X, y, 1e-9)
    Xt, _ = gauss_data(seed + 10, 7, 3, C)
    got = solution.gaussian_log_proba(Xt, *params)
    assert_close(got, ref_gauss_proba(Xt, *params), rtol=1e-9, atol=1e-9, name=f"Gaussian log posteriors ({C} classes)",
                 mistakes={LABELS["gaussian_without_normaliser"]: ref_gauss_proba(Xt, *params,
                                                                                  "gaussian_without_normaliser")})


def test_gaussian_far_points_stay_finite(solution):
    X, y = gauss_data(13, 20, 2, 2)
    params = ref_fit_gauss(X, y)
    far = np.array([[400.0, -300.0], [1e3, 1e3]])
    got = solution.gaussian_log_proba(far, *params)
    assert np.all(np.isfinite(np.asarray(got, dtype=float))), \
        "log posteriors of far-away points are not finite: stay in log space (no exp of a density) and subtract the max before the log-sum-exp"
    assert_close(got, ref_gauss_proba(far, *params), rtol=1e-9, atol=1e-9, name="log posteriors 100s of σ away")


def test_inputs_not_modified(solution):
    X, y = docs(14, 9, 5, 3)
    X0, y0 = X.copy(), y.copy()
    solution.fit_multinomial_nb(X, y)
    Xg, yg = gauss_data(15, 9, 2, 3)
    Xg0 = Xg.copy()
    solution.fit_gaussian_nb(Xg, yg)
    assert np.array_equal(X, X0) and np.array_equal(y, y0) and np.array_equal(Xg, Xg0), "fitting must not change X or y"


def test_variant_corpus(solution, variant):
    X, y = docs(16, variant.get("n", 24), variant.get("vocabulary", 12), variant.get("classes", 3),
                length=variant.get("length", 30))
    alpha = variant.get("alpha", 1.0)
    prior, lik = solution.fit_multinomial_nb(X, y, alpha=alpha)
    want = ref_fit_multi(X, y, alpha)
    check_parts((prior, lik), want, ("log_prior", "log_likelihood"), f"fit_multinomial_nb (variant, alpha={alpha})",
                {LABELS[m]: ref_fit_multi(X, y, alpha, m) for m in MULTI_FIT})
    assert_close(solution.multinomial_log_proba(X, *want), ref_multi_proba(X, *want), rtol=1e-9, atol=1e-9,
                 name="log posteriors (variant corpus)")
