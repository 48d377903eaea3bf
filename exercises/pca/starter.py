"""Principal component analysis by the SVD of the centred data, in numpy (float64).

Sign convention: SVD determines each component only up to sign; flip every component so that its
largest-magnitude entry is positive. Inputs must not be modified.
"""

import numpy as np


def pca_fit(X, n_components=None):
    """X: (n, d). Returns (mean (d,), components (k, d), explained_variance (k,), explained_variance_ratio (k,)).

    k = n_components, or min(n, d) when None; ValueError unless n >= 2 and 1 <= k <= min(n, d).
    components: the top-k right singular vectors of X − mean, as ROWS, by decreasing variance.
    explained_variance: σ_i² / (n − 1) for the singular values σ_i.
    explained_variance_ratio: explained_variance / the total variance of X (over ALL components); 0 if that is 0.
    """
    raise NotImplementedError


def pca_transform(X, mean, components):
    """(m, k) coordinates of X (m, d) on the components."""
    raise NotImplementedError


def pca_inverse_transform(Z, mean, components):
    """(m, d) points reconstructed from coordinates Z (m, k)."""
    raise NotImplementedError
