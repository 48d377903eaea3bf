"""The best split of a decision-tree node (CART-style, numeric features), in numpy.

y holds int class labels 0..C−1. A split (feature j, threshold t) sends x[j] <= t left and x[j] > t right.
"""

import numpy as np


def impurity(y, criterion="gini"):
    """Impurity of the labels y (n,):  "gini": 1 − Σ p_c²;  "entropy": −Σ p_c·log₂ p_c (bits, 0·log 0 = 0).
    An empty node has impurity 0. Unknown criterion: ValueError. Returns a float."""
    raise NotImplementedError


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    """The split of X (n, d) with the largest gain, as (feature int, threshold float, gain float), or None.

    Candidate thresholds of a feature: halfway between each pair of consecutive DISTINCT sorted values.
    gain = impurity(parent) − (n_L / n)·impurity(left) − (n_R / n)·impurity(right).
    Both children need at least min_samples_leaf samples. Gains within 1e-12 of the best are ties: take the
    lowest feature index, then the lowest threshold. None when no valid split exists (fewer than 2 samples,
    constant features, or every split leaves a child too small). Unknown criterion: ValueError.
    """
    raise NotImplementedError
