"""Reference solution for the `decision_tree_split` exercise: the best threshold split of numeric features by
Gini impurity or entropy, with thresholds halfway between distinct sorted values and size-weighted children."""

import numpy as np

TIE = 1e-12  # gains this close to the best are ties


def _impurity(counts, criterion):
    """Impurity of class-count vectors (..., C)."""
    n = counts.sum(axis=-1, keepdims=True)
    p = np.divide(counts, n, out=np.zeros(counts.shape), where=n > 0)
    if criterion == "gini":
        return 1 - (p ** 2).sum(axis=-1)
    if criterion == "entropy":
        logp = np.log2(p, out=np.zeros(p.shape), where=p > 0)  # 0 · log 0 = 0
        return -(p * logp).sum(axis=-1)
    raise ValueError(f"criterion must be 'gini' or 'entropy', got {criterion!r}")


def impurity(y, criterion="gini"):
    y = np.asarray(y, dtype=np.int64)
    counts = np.bincount(y, minlength=1).astype(np.float64)
    value = float(_impurity(counts, criterion))  # also rejects an unknown criterion
    return value if len(y) else 0.0


def _candidates(x, onehot, criterion, min_samples_leaf):
    """(gain, threshold) of every valid split of one feature, in increasing threshold order."""
    n = len(x)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    left = np.cumsum(onehot[order], axis=0)[:-1]  # class counts of the first i + 1 sorted samples
    right = onehot.sum(axis=0) - left
    n_left = np.arange(1, n)
    n_right = n - n_left
    imp_l, imp_r = _impurity(left, criterion), _impurity(right, criterion)
    child = (n_left * imp_l + n_right * imp_r) / n
    gain = _impurity(onehot.sum(axis=0), criterion) - child
    valid = (xs[1:] > xs[:-1]) & (n_left >= min_samples_leaf) & (n_right >= min_samples_leaf)
    return [(gain[i], (xs[i] + xs[i + 1]) / 2) for i in np.flatnonzero(valid)]


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    _impurity(np.ones(1), criterion)  # rejects an unknown criterion even when there is nothing to split
    if len(y) < 2:
        return None
    onehot = np.eye(y.max() + 1)[y]
    found = [(g, j, t) for j in range(X.shape[1]) for g, t in _candidates(X[:, j], onehot, criterion,
                                                                           min_samples_leaf)]
    if not found:
        return None
    top = max(g for g, _, _ in found)
    gain, feature, threshold = next(c for c in found if c[0] >= top - TIE)  # first: lowest feature, threshold
    return int(feature), float(threshold), float(gain)
