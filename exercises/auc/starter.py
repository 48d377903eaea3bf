"""ROC and precision-recall curves and their areas, from scores with ties, in numpy (no sklearn).

y_true: 1-D array-like of 0/1 (or bool); scores: 1-D array-like of floats or ints, same length (else ValueError).
A sample is predicted positive at threshold t when score >= t. Thresholds are the DISTINCT scores in
decreasing order: tied scores always move together. Inputs must not be modified.
"""

import numpy as np


def roc_curve(y_true, scores):
    """(fpr, tpr, thresholds), each of length m + 1 for m distinct scores: the first point is
    (0, 0) at threshold +inf, then one point per distinct score, in decreasing order.
    ValueError unless both classes are present."""
    raise NotImplementedError


def roc_auc(y_true, scores):
    """Area under roc_curve by the trapezoid rule (= P(score_pos > score_neg) + ½·P(tie)). Returns a float."""
    raise NotImplementedError


def precision_recall_curve(y_true, scores):
    """(precision, recall, thresholds): precision and recall have length m + 1, starting with the point
    (recall 0, precision 1), then one point per distinct score in decreasing order; thresholds has length m.
    ValueError if there is no positive."""
    raise NotImplementedError


def pr_auc(y_true, scores, method="step"):
    """Area under the PR curve, over its points k = 1..m (recall R_k, precision P_k, R_0 = 0, P_0 = 1):
    method="step": Σ (R_k − R_(k−1))·P_k  (average precision);
    method="trapezoid": Σ (R_k − R_(k−1))·(P_k + P_(k−1)) / 2;  anything else: ValueError."""
    raise NotImplementedError
