"""Reference solution for the `auc` exercise: ROC and precision-recall curves and areas from scores with ties."""

import numpy as np


def _counts(y_true, scores):
    """Distinct thresholds (decreasing) and the true / false positive counts at score >= each of them."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"y_true and scores must be 1-D of the same length, got {y.shape} and {s.shape}")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last index of each run of tied scores
    return s[last], np.cumsum(y)[last], np.cumsum(~y)[last]


def roc_curve(y_true, scores):
    thresholds, tp, fp = _counts(y_true, scores)
    if len(tp) == 0 or tp[-1] == 0 or fp[-1] == 0:
        raise ValueError("ROC needs at least one positive and one negative")
    return np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]], np.r_[np.inf, thresholds]


def roc_auc(y_true, scores):
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def precision_recall_curve(y_true, scores):
    thresholds, tp, fp = _counts(y_true, scores)
    if len(tp) == 0 or tp[-1] == 0:
        raise ValueError("precision-recall needs at least one positive")
    return np.r_[1.0, tp / (tp + fp)], np.r_[0.0, tp / tp[-1]], thresholds


def pr_auc(y_true, scores, method="step"):
    precision, recall, _ = precision_recall_curve(y_true, scores)
    gain = np.diff(recall)
    if method == "step":
        return float(np.sum(gain * precision[1:]))
    if method == "trapezoid":
        return float(np.sum(gain * (precision[1:] + precision[:-1]) / 2))
    raise ValueError(f"method must be 'step' or 'trapezoid', got {method!r}")
