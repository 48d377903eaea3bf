"""Correct alternative for auc: ROC AUC from average ranks (Mann–Whitney U), curves from np.unique and bincount."""

import numpy as np


def _prepare(y_true, scores):
    y, s = np.asarray(y_true), np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or len(y) != len(s) or s.ndim != 1:
        raise ValueError("y_true and scores must be 1-D arrays of one length")
    return y.astype(bool), s


def _cumulative(y, s):
    uniq, inv = np.unique(s, return_inverse=True)  # ascending distinct scores
    pos = np.bincount(inv, weights=y, minlength=len(uniq))[::-1]
    neg = np.bincount(inv, weights=~y, minlength=len(uniq))[::-1]
    return uniq[::-1], np.cumsum(pos), np.cumsum(neg)


def roc_curve(y_true, scores):
    y, s = _prepare(y_true, scores)
    thr, tp, fp = _cumulative(y, s)
    if tp[-1] == 0 or fp[-1] == 0:
        raise ValueError("both classes are needed")
    return np.insert(fp / fp[-1], 0, 0.0), np.insert(tp / tp[-1], 0, 0.0), np.insert(thr, 0, np.inf)


def _average_ranks(s):
    uniq, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # 0-based rank of each group's first member
    return (first + (counts + 1) / 2.0)[inv]


def roc_auc(y_true, scores):
    y, s = _prepare(y_true, scores)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("both classes are needed")
    u = _average_ranks(s)[y].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def precision_recall_curve(y_true, scores):
    y, s = _prepare(y_true, scores)
    thr, tp, fp = _cumulative(y, s)
    if tp[-1] == 0:
        raise ValueError("no positive sample")
    return np.insert(tp / (tp + fp), 0, 1.0), np.insert(tp / tp[-1], 0, 0.0), thr


def pr_auc(y_true, scores, method="step"):
    precision, recall, _ = precision_recall_curve(y_true, scores)
    weights = {"step": precision[1:], "trapezoid": (precision[1:] + precision[:-1]) / 2}
    if method not in weights:
        raise ValueError(f"unknown method {method!r}")
    return float(np.dot(np.diff(recall), weights[method]))
