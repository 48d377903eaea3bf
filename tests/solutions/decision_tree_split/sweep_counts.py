"""Correct alternative for decision_tree_split: one sorted sweep per feature, moving one sample at a time
from the right child's counts to the left child's, impurities with math."""

import math


def _imp(counts, n, criterion):
    if n == 0:
        return 0.0
    if criterion == "gini":
        return 1.0 - sum((c / n) ** 2 for c in counts)
    return -sum((c / n) * math.log2(c / n) for c in counts if c)


def _check(criterion):
    if criterion not in ("gini", "entropy"):
        raise ValueError("criterion must be gini or entropy")


def impurity(y, criterion="gini"):
    _check(criterion)
    labels = [int(v) for v in y]
    counts = [labels.count(c) for c in set(labels)]
    return _imp(counts, len(labels), criterion)


def best_split(X, y, criterion="gini", min_samples_leaf=1):
    _check(criterion)
    rows = [[float(v) for v in r] for r in X]
    labels = [int(v) for v in y]
    n = len(labels)
    if n < 2:
        return None
    k = max(labels) + 1
    total = [labels.count(c) for c in range(k)]
    parent = _imp(total, n, criterion)
    candidates = []
    for j in range(len(rows[0])):
        pairs = sorted((r[j], lab) for r, lab in zip(rows, labels))
        left = [0] * k
        for i in range(n - 1):
            left[pairs[i][1]] += 1
            if pairs[i][0] == pairs[i + 1][0]:
                continue
            nl = i + 1
            if nl < min_samples_leaf or n - nl < min_samples_leaf:
                continue
            right = [t - c for t, c in zip(total, left)]
            child = (nl * _imp(left, nl, criterion) + (n - nl) * _imp(right, n - nl, criterion)) / n
            candidates.append((parent - child, j, (pairs[i][0] + pairs[i + 1][0]) / 2))
    if not candidates:
        return None
    top = max(c[0] for c in candidates)
    gain, j, t = min((c for c in candidates if c[0] >= top - 1e-12), key=lambda c: (c[1], c[2]))
    return j, t, gain
