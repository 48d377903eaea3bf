"""Reference solution for the `pca` exercise: PCA by the SVD of the centred data, with a sign convention."""

import numpy as np


def pca_fit(X, n_components=None):
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    k = min(n, d) if n_components is None else n_components
    if n < 2 or not 1 <= k <= min(n, d):
        raise ValueError(f"need n >= 2 and 1 <= n_components <= {min(n, d)}, got n={n}, n_components={k}")
    mean = X.mean(axis=0)
    _, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    # sign convention: the largest-magnitude entry of every component is positive
    Vt = Vt * np.sign(Vt[np.arange(len(Vt)), np.abs(Vt).argmax(axis=1)])[:, None]
    variance = S ** 2 / (n - 1)
    total = variance.sum()
    ratio = variance / total if total > 0 else np.zeros_like(variance)
    return mean, Vt[:k], variance[:k], ratio[:k]


def pca_transform(X, mean, components):
    return (np.asarray(X, dtype=np.float64) - mean) @ components.T


def pca_inverse_transform(Z, mean, components):
    return np.asarray(Z, dtype=np.float64) @ components + mean
