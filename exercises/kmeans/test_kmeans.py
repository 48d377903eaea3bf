"""Hidden suite for kmeans: k-means++ seeding and Lloyd's iterations against a reference written here
(distances by explicit loops over the centres), with the same generator calls as the prompt specifies."""

import numpy as np
import pytest

from quizcli.testing import assert_close, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def dist2(X, C):
    return np.stack([np.linalg.norm(X - c, axis=1) ** 2 for c in C], axis=1)


def ref_init(X, k, rng, mistake=None):
    n = len(X)
    idx = [int(rng.integers(n))]
    near = dist2(X, X[idx])[:, 0]
    for _ in range(k - 1):
        if near.sum() == 0:
            idx.append(int(rng.integers(n)))
        elif mistake == "uniform_init":
            idx.append(int(rng.choice(n)))
        else:
            w = np.sqrt(near) if mistake == "probability_not_squared" else near
            idx.append(int(rng.choice(n, p=w / w.sum())))
        last = dist2(X, X[idx[-1:]])[:, 0]
        near = last if mistake == "distance_to_last_centre" else np.minimum(near, last)
    return X[idx].astype(float)


def ref_kmeans(X, k, seed, max_iter=100, tol=1e-6, init=None, mistake=None):
    C = ref_init(X, k, np.random.default_rng(seed), mistake) if init is None else np.array(init, float)
    it, labels = 0, None
    for it in range(1, max_iter + 1):
        labels = dist2(X, C).argmin(1)
        new = np.array([X[labels == j].mean(0) if (labels == j).any() else
                        (np.full(X.shape[1], np.nan) if mistake == "empty_cluster_nan" else C[j])
                        for j in range(len(C))])
        moved = np.max(np.linalg.norm(new - C, axis=1))
        C = new
        if moved <= tol and mistake != "iteration_count_only":
            break
    d2 = dist2(X, C)
    if mistake != "stale_labels" or labels is None:
        labels = d2.argmin(1)
    inertia = np.sqrt(d2.min(1)).sum() if mistake == "inertia_not_squared" else d2.min(1).sum()
    return C, labels, it, inertia


INIT_MISTAKES = ("distance_to_last_centre", "probability_not_squared", "uniform_init")
FIT_MISTAKES = INIT_MISTAKES + ("empty_cluster_nan", "iteration_count_only", "inertia_not_squared", "stale_labels")
PARTS = ("centres", "labels", "n_iter", "inertia")


def blobs(seed, n, d, k, spread=0.6):
    rng = np.random.default_rng(seed)
    means = 4 * rng.normal(size=(k, d))
    return means[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


def check_fit(got, want, what, wrong, rtol=1e-9, atol=1e-9):
    assert isinstance(got, tuple) and len(got) == 4, f"{what}: must return (centres, labels, n_iter, inertia)"
    assert np.issubdtype(np.asarray(got[1]).dtype, np.integer), \
        f"{what}: labels must be integers, got dtype {np.asarray(got[1]).dtype}" + known_mistake(LABELS["float_labels"])
    for i, part in enumerate(PARTS):
        assert_close(np.asarray(got[i], dtype=float), np.asarray(want[i], dtype=float), rtol=rtol, atol=atol,
                     name=f"{what}: {part}", mistakes={label: np.asarray(w[i], dtype=float) for label, w in wrong.items()})


def fit_wrong(X, k, seed, mistakes=FIT_MISTAKES, **kw):
    return {LABELS[m]: ref_kmeans(X, k, seed, mistake=m, **kw) for m in mistakes}


# --- k-means++ -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,d,k", [(0, 30, 2, 3), (1, 50, 3, 5), (2, 8, 1, 8), (3, 12, 4, 1)])
def test_kmeanspp_centres(solution, seed, n, d, k):
    X = blobs(seed, n, d, max(k, 2))
    got = solution.kmeans_pp_init(X, k, np.random.default_rng(seed))
    want = ref_init(X, k, np.random.default_rng(seed))
    assert_close(got, want, rtol=0, atol=0, name=f"k-means++ centres (n={n}, d={d}, k={k}, seed {seed})",
                 mistakes={LABELS[m]: ref_init(X, k, np.random.default_rng(seed), m) for m in INIT_MISTAKES})


def test_kmeanspp_prefers_far_points(solution):
    # One far outlier: with D² weighting it is the second centre in almost every run.
    X = np.vstack([np.zeros((20, 2)) + 0.01 * np.arange(20)[:, None], [[100.0, 100.0]]])
    hits = sum(bool(np.any(np.all(solution.kmeans_pp_init(X, 2, np.random.default_rng(s)) == X[-1], axis=1)))
               for s in range(40))
    assert hits >= 38, (f"the far outlier was a centre in {hits} of 40 seeded runs; k-means++ picks it with "
                        "probability ≈ 1 (D(x)² weighting)")


def test_kmeanspp_with_duplicate_points(solution):
    X = np.array([[0.0, 0.0]] * 3 + [[1.0, 1.0]] * 3)
    got = solution.kmeans_pp_init(X, 4, np.random.default_rng(4))
    want = ref_init(X, 4, np.random.default_rng(4))
    assert np.all(np.isfinite(got)), "k-means++ with more centres than distinct points must stay finite"
    assert_close(got, want, rtol=0, atol=0, name="k = 4 over 2 distinct points (D² all zero: draw uniformly)")


def test_kmeanspp_returns_a_copy(solution):
    X = blobs(5, 10, 2, 2)
    X0 = X.copy()
    C = solution.kmeans_pp_init(X, 3, np.random.default_rng(5))
    C += 1000
    assert np.array_equal(X, X0), "kmeans_pp_init must return new centres, not views of X"


# --- Lloyd ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,d,k", [(6, 60, 2, 3), (7, 45, 3, 4), (8, 25, 2, 2)])
def test_kmeans_default_arguments(solution, seed, n, d, k):
    X = blobs(seed, n, d, k)
    got = solution.kmeans(X, k, np.random.default_rng(seed))
    check_fit(tuple(got), ref_kmeans(X, k, seed), f"kmeans(X, {k}, rng) with the defaults", fit_wrong(X, k, seed))


def test_kmeans_stops_when_converged(solution):
    X = blobs(9, 80, 2, 3, spread=0.3)
    got = solution.kmeans(X, 3, np.random.default_rng(9), max_iter=50, tol=1e-8)
    want = ref_kmeans(X, 3, 9, max_iter=50, tol=1e-8)
    assert want[2] < 50
    check_fit(tuple(got), want, "well-separated blobs, max_iter=50", fit_wrong(X, 3, 9, max_iter=50, tol=1e-8))


@pytest.mark.parametrize("max_iter,tol", [(1, 1e-6), (2, 0.0), (3, 1e-6), (40, 10.0), (60, 0.0)])
def test_kmeans_iteration_limit_and_tolerance(solution, max_iter, tol):
    X = blobs(10, 70, 2, 4, spread=1.5)
    got = solution.kmeans(X, 4, np.random.default_rng(10), max_iter=max_iter, tol=tol)
    check_fit(tuple(got), ref_kmeans(X, 4, 10, max_iter=max_iter, tol=tol),
              f"kmeans(max_iter={max_iter}, tol={tol}): labels from the final centres",
              fit_wrong(X, 4, 10, max_iter=max_iter, tol=tol))


def move_sizes(X, C):
    """Per Lloyd iteration from C: (largest Euclidean move, largest coordinate move, sum of the moves)."""
    out = []
    for _ in range(6):
        labels = dist2(X, C).argmin(1)
        new = np.array([X[labels == j].mean(0) if (labels == j).any() else C[j] for j in range(len(C))])
        moves = np.linalg.norm(new - C, axis=1)
        out.append((moves.max(), np.abs(new - C).max(), moves.sum()))
        C = new
    return out


def test_stop_rule_is_the_largest_euclidean_move(solution):
    # tol between the largest Euclidean move of a centre and other measures of "how much it moved" (the largest
    # coordinate change, the sum of the moves, the squared move): only the prompt's rule stops where it should.
    X = blobs(17, 60, 2, 3, spread=1.5)
    init = X[[0, 1, 2]].copy()
    sizes = move_sizes(X, init)
    shifts = [s[0] for s in sizes]
    tols = sorted({(s[0] + other) / 2 for s in sizes[:4] for other in (s[1], s[2], s[0] ** 2)})
    tols = [t for t in tols if min(abs(x - t) for x in shifts) > 1e-6 * t]  # never on the edge of a decision
    assert len(tols) >= 6
    for tol in tols:
        got = solution.kmeans(X, 3, np.random.default_rng(17), tol=tol, init=init)
        check_fit(tuple(got), ref_kmeans(X, 3, 17, tol=tol, init=init), f"kmeans(tol={tol:.6g}) from a fixed init",
                  {})


def test_empty_cluster_keeps_its_centre(solution):
    X = np.array([[0.0, 0.0], [0.5, 0.0], [10.0, 0.0], [10.5, 0.0]])
    init = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]])
    got = solution.kmeans(X, 3, np.random.default_rng(11), init=init)
    assert np.all(np.isfinite(np.asarray(got[0]))), \
        f"a centre became non-finite (keep the previous centre instead){known_mistake(LABELS['empty_cluster_nan'])}"
    check_fit(tuple(got), ref_kmeans(X, 3, 11, init=init), "a cluster that never gets a point",
              fit_wrong(X, 3, 11, init=init, mistakes=("iteration_count_only",)))


def test_init_is_not_modified(solution):
    X = blobs(12, 20, 2, 2)
    init = X[:2].copy()
    before = init.copy()
    solution.kmeans(X, 2, np.random.default_rng(12), init=init)
    assert np.array_equal(init, before), "kmeans must not modify the init array it was given"


def test_one_cluster_and_one_point_per_cluster(solution):
    X = blobs(13, 9, 3, 3)
    got = solution.kmeans(X, 1, np.random.default_rng(13))
    assert_close(np.asarray(got[0]), X.mean(0, keepdims=True), rtol=1e-12, atol=1e-12, name="k = 1: the centre is the mean")
    assert_close(got[3], ((X - X.mean(0)) ** 2).sum(), rtol=1e-10, atol=1e-12,
                 name="k = 1: inertia is the total sum of squares",
                 mistakes={LABELS["inertia_not_squared"]: np.linalg.norm(X - X.mean(0), axis=1).sum()})
    got = solution.kmeans(X, 9, np.random.default_rng(14))
    check_fit(tuple(got), ref_kmeans(X, 9, 14), "k = n: every point its own cluster", fit_wrong(X, 9, 14))


def test_kmeans_does_not_modify_x(solution):
    X = blobs(15, 30, 2, 3)
    X0 = X.copy()
    solution.kmeans(X, 3, np.random.default_rng(15))
    assert np.array_equal(X, X0), "kmeans must not modify X"


def test_variant_configuration(solution, variant):
    k, d = variant.get("k", 3), variant.get("d", 2)
    X = blobs(16, variant.get("n", 50), d, k, spread=variant.get("spread", 0.8))
    got = solution.kmeans(X, k, np.random.default_rng(16))
    check_fit(tuple(got), ref_kmeans(X, k, 16), f"kmeans with k={k}, d={d}", fit_wrong(X, k, 16))
