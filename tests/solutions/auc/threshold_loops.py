"""Correct alternative for auc: one pass per distinct threshold, ROC AUC by counting pairs with ties as halves."""

import numpy as np


def _check(y_true, scores):
    y = np.array(y_true, dtype=bool)
    s = np.array(scores, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("y_true and scores must have the same 1-D shape")
    return y, s


def _confusion(y, s):
    thresholds = sorted(set(s.tolist()), reverse=True)
    tp = [int(np.sum(y[s >= t])) for t in thresholds]
    fp = [int(np.sum(~y[s >= t])) for t in thresholds]
    return np.array(thresholds), np.array(tp, dtype=float), np.array(fp, dtype=float)


def roc_curve(y_true, scores):
    y, s = _check(y_true, scores)
    if y.all() or not y.any():
        raise ValueError("need both classes")
    thr, tp, fp = _confusion(y, s)
    return (np.concatenate([[0.0], fp / (~y).sum()]), np.concatenate([[0.0], tp / y.sum()]),
            np.concatenate([[np.inf], thr]))


def roc_auc(y_true, scores):
    y, s = _check(y_true, scores)
    if y.all() or not y.any():
        raise ValueError("need both classes")
    wins = 0.0
    for p in s[y]:
        wins += np.sum(p > s[~y]) + 0.5 * np.sum(p == s[~y])
    return float(wins / (y.sum() * (~y).sum()))


def precision_recall_curve(y_true, scores):
    y, s = _check(y_true, scores)
    if not y.any():
        raise ValueError("need a positive")
    thr, tp, fp = _confusion(y, s)
    return np.concatenate([[1.0], tp / (tp + fp)]), np.concatenate([[0.0], tp / y.sum()]), thr


def pr_auc(y_true, scores, method="step"):
    if method not in ("step", "trapezoid"):
        raise ValueError(method)
    p, r, _ = precision_recall_curve(y_true, scores)
    area = 0.0
    for k in range(1, len(r)):
        area += (r[k] - r[k - 1]) * (p[k] if method == "step" else 0.5 * (p[k] + p[k - 1]))
    return area
