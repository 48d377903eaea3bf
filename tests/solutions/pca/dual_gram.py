"""Correct alternative for pca: the dual (Gram-matrix) route, eigenvectors of Xc·Xcᵀ mapped back by V = Xcᵀ·U / s."""

import numpy as np


def pca_fit(X, n_components=None):
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    k = n_components if n_components is not None else min(n, d)
    if n < 2 or not (1 <= k <= min(n, d)):
        raise ValueError(f"bad n_components={n_components!r} for data of shape {X.shape}")
    mean = X.mean(0)
    Xc = X - mean
    lam, U = np.linalg.eigh(Xc @ Xc.T)  # lam = s², ascending
    idx = np.argsort(-lam)
    lam, U = np.clip(lam[idx], 0, None), U[:, idx]
    s = np.sqrt(lam)
    V = np.zeros((d, len(s)))
    nz = s > 1e-12 * max(s.max(), 1.0)
    V[:, nz] = Xc.T @ U[:, nz] / s[nz]
    comps = V.T[:k]
    pivots = comps[np.arange(k), np.argmax(np.abs(comps), axis=1)]
    comps = comps * np.where(pivots < 0, -1.0, 1.0)[:, None]
    var = lam / (n - 1)
    total = np.sum(Xc ** 2) / (n - 1)
    return mean, comps, var[:k], (var[:k] / total if total > 0 else np.zeros(k))


def pca_transform(X, mean, components):
    return (np.asarray(X, dtype=np.float64) - mean) @ np.asarray(components).T


def pca_inverse_transform(Z, mean, components):
    return np.asarray(Z, dtype=np.float64) @ np.asarray(components) + mean
