"""Correct alternative for pca: eigendecomposition of the d × d sample covariance, sorted and sign-fixed."""

import numpy as np


def _check(n, d, k):
    if n < 2 or k < 1 or k > min(n, d):
        raise ValueError("invalid number of samples or components")


def pca_fit(X, n_components=None):
    X = np.array(X, dtype=float)
    n, d = X.shape
    k = min(n, d) if n_components is None else int(n_components)
    _check(n, d, k)
    mu = X.mean(axis=0)
    cov = np.cov(X, rowvar=False, ddof=1).reshape(d, d)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:k]
    vals, comps = np.maximum(vals[order], 0.0), vecs[:, order].T
    for row in comps:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    total = np.trace(cov)
    return mu, comps, vals, (vals / total if total > 0 else np.zeros(k))


def pca_transform(X, mean, components):
    return np.einsum("md,kd->mk", np.asarray(X, dtype=float) - mean, components)


def pca_inverse_transform(Z, mean, components):
    return mean + np.einsum("mk,kd->md", np.asarray(Z, dtype=float), components)
