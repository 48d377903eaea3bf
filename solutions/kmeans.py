"""Reference solution for the `kmeans` exercise: k-means++ seeding from a given generator, Lloyd iterations
with a convergence test, empty clusters keeping their centre."""

import numpy as np


def _sq_dist(X, C):
    """(n, k) squared Euclidean distances between the rows of X (n, d) and C (k, d)."""
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


def kmeans_pp_init(X, k, rng):
    n = len(X)
    chosen = [int(rng.integers(n))]
    d2 = _sq_dist(X, X[chosen])[:, 0]
    for _ in range(1, k):
        if d2.sum() == 0:  # every point sits on a chosen centre
            idx = int(rng.integers(n))
        else:
            idx = int(rng.choice(n, p=d2 / d2.sum()))
        chosen.append(idx)
        d2 = np.minimum(d2, _sq_dist(X, X[[idx]])[:, 0])
    return X[chosen].astype(np.float64)


def _update(X, labels, centers):
    new = centers.copy()
    for j in range(len(centers)):
        members = X[labels == j]
        if len(members):  # an empty cluster keeps its centre
            new[j] = members.mean(axis=0)
    return new


def kmeans(X, k, rng, max_iter=100, tol=1e-6, init=None):
    X = np.asarray(X, dtype=np.float64)
    centers = kmeans_pp_init(X, k, rng) if init is None else np.array(init, dtype=np.float64)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        labels = _sq_dist(X, centers).argmin(axis=1)
        new = _update(X, labels, centers)
        shift = np.sqrt(((new - centers) ** 2).sum(axis=1)).max()
        centers = new
        if shift <= tol:
            break
    d2 = _sq_dist(X, centers)
    labels = d2.argmin(axis=1)
    return centers, labels, n_iter, float(d2.min(axis=1).sum())
