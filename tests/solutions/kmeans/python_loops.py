"""Correct alternative for kmeans: explicit Python loops over points and centres, with math.dist."""

import math

import numpy as np


def kmeans_pp_init(X, k, rng):
    pts = [list(map(float, row)) for row in X]
    n = len(pts)
    centres = [pts[int(rng.integers(n))]]
    nearest = [math.dist(p, centres[0]) ** 2 for p in pts]
    for _ in range(k - 1):
        s = sum(nearest)
        i = int(rng.integers(n)) if s == 0 else int(rng.choice(n, p=np.array(nearest) / s))
        centres.append(pts[i])
        nearest = [min(a, math.dist(p, pts[i]) ** 2) for a, p in zip(nearest, pts)]
    return np.array(centres)


def _closest(p, centres):
    best, best_d = 0, math.inf
    for j, c in enumerate(centres):
        d = sum((a - b) ** 2 for a, b in zip(p, c))
        if d < best_d:
            best, best_d = j, d
    return best, best_d


def kmeans(X, k, rng, max_iter=100, tol=1e-6, init=None):
    pts = [list(map(float, row)) for row in X]
    centres = [list(c) for c in (kmeans_pp_init(X, k, rng) if init is None else np.asarray(init, dtype=float))]
    it = 0
    for it in range(1, max_iter + 1):
        groups = [[] for _ in range(k)]
        for p in pts:
            groups[_closest(p, centres)[0]].append(p)
        new = [[sum(col) / len(g) for col in zip(*g)] if g else c for g, c in zip(groups, centres)]
        shift = max(math.dist(a, b) for a, b in zip(new, centres))
        centres = new
        if shift <= tol:
            break
    found = [_closest(p, centres) for p in pts]
    return (np.array(centres), np.array([j for j, _ in found]), it, sum(d for _, d in found))
