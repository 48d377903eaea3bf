"""Correct alternative for decision_tree_split: np.unique thresholds, boolean masks and bincount per candidate."""

import numpy as np


def _score(counts, criterion):
    total = counts.sum()
    if total == 0:
        return 0.0
    p = counts[counts > 0] / total
    if criterion == "gini":
        return float(1.0 - np.dot(p, p))
    return float(-np.dot(p, np.log2(p)))


def impurity(y, criterion="gini"):
    if criterion not in ("gini", "entropy"):
        raise ValueError(f"unknown criterion {criterion!r}")
    return _score(np.bincount(np.asarray(y, dtype=int), minlength=1), criterion)


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    if criterion not in ("gini", "entropy"):
        raise ValueError(f"unknown criterion {criterion!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=int)
    n = len(y)
    if n < 2:
        return None
    k = y.max() + 1
    parent = _score(np.bincount(y, minlength=k), criterion)
    best = None
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for t in (values[:-1] + values[1:]) / 2:
            left = X[:, j] <= t
            n_left = int(left.sum())
            if min(n_left, n - n_left) < min_samples_leaf:
                continue
            child = (n_left * _score(np.bincount(y[left], minlength=k), criterion)
                     + (n - n_left) * _score(np.bincount(y[~left], minlength=k), criterion)) / n
            gain = parent - child
            if best is None or gain > best[2] + 1e-12:
                best = (j, float(t), gain)
    return best
