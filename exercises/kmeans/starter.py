"""k-means with k-means++ seeding (Arthur & Vassilvitskii, 2007), in numpy (float64).

All randomness comes from the numpy Generator `rng` passed in, called EXACTLY as the docstrings say, so that
a run can be reproduced number for number.
"""

import numpy as np


def kmeans_pp_init(X, k, rng):
    """k initial centres (k, d) float64, rows copied from X (n, d).

    1. first centre: X[rng.integers(n)];
    2. each next centre: with D(x)² = squared distance from x to its NEAREST chosen centre,
       X[rng.choice(n, p=D² / sum(D²))]; if sum(D²) == 0, X[rng.integers(n)] instead.
    Exactly one generator call per centre.
    """
    raise NotImplementedError


def kmeans(X, k, rng, max_iter=100, tol=1e-6, init=None):
    """Lloyd's algorithm. Returns (centres (k, d) float64, labels (n,) int, n_iter int, inertia float).

    centres start as init (a (k, d) array, not modified) or, when init is None, kmeans_pp_init(X, k, rng).
    Each iteration (numbered 1, 2, …, at most max_iter):
      assign every point to its nearest centre (ties: the lowest index);
      move every centre to the mean of its points — a centre with no points stays where it is;
      shift = the largest distance any centre moved; stop after this iteration if shift <= tol.
    n_iter = the number of iterations run. Afterwards labels are the assignment to the FINAL centres and
    inertia = the sum of squared distances from each point to its final centre.
    """
    raise NotImplementedError
