"""Correct alternative for kmeans: distances by ‖x‖² − 2x·c + ‖c‖², centre means through np.add.at and bincount."""

import numpy as np


def _d2(X, C):
    d = (X * X).sum(1)[:, None] - 2 * X @ C.T + (C * C).sum(1)[None, :]
    return np.maximum(d, 0.0)


def kmeans_pp_init(X, k, rng):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    picks = [rng.integers(n)]
    best = ((X - X[picks[0]]) ** 2).sum(1)
    while len(picks) < k:
        total = best.sum()
        nxt = rng.integers(n) if total == 0 else rng.choice(n, p=best / total)
        picks.append(nxt)
        best = np.minimum(best, ((X - X[nxt]) ** 2).sum(1))
    return np.array([X[i] for i in picks])


def kmeans(X, k, rng, max_iter=100, tol=1e-6, init=None):
    X = np.asarray(X, dtype=float)
    C = kmeans_pp_init(X, k, rng) if init is None else np.array(init, dtype=float, copy=True)
    done = 0
    while done < max_iter:
        done += 1
        lab = np.argmin(_d2(X, C), axis=1)
        sums = np.zeros_like(C)
        np.add.at(sums, lab, X)
        counts = np.bincount(lab, minlength=k)
        new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], C)
        moved = np.linalg.norm(new - C, axis=1).max()
        C = new
        if moved <= tol:
            break
    # exact squared distances for the final answer
    final = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    return C, final.argmin(1), done, float(final.min(1).sum())
