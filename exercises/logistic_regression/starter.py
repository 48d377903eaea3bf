"""Logistic regression by full-batch gradient descent, in numpy (float64).

Binary: p = σ(X·w + b); loss = mean binary cross-entropy + (l2 / 2)·‖w‖²  (the bias is NOT regularised).
Multinomial: P = softmax(X·W + b); loss = mean cross-entropy + (l2 / 2)·‖W‖²  (b not regularised).
Everything must stay finite and raise no overflow warning for logits of any size
(the suite runs parts of it under np.errstate(over="raise", divide="raise", invalid="raise")).
"""

import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)) elementwise, any shape, float64, stable for |z| up to 1e4 and beyond."""
    raise NotImplementedError


def binary_loss(w, b, X, y, l2=0.0):
    """Mean binary cross-entropy of logits X @ w + b against y, plus (l2 / 2)·(w · w). Returns a float.

    w: (d,); b: float; X: (n, d); y: (n,) of 0.0 / 1.0.
    """
    raise NotImplementedError


def binary_grad(w, b, X, y, l2=0.0):
    """Gradient of binary_loss: returns (dw (d,), db float)."""
    raise NotImplementedError


def fit_binary(X, y, lr=0.1, l2=0.0, epochs=100):
    """Start from w = 0, b = 0; repeat `epochs` times: (dw, db) = binary_grad(w, b, ...), then
    w -= lr·dw and b -= lr·db (one simultaneous step). Returns (w (d,), b float)."""
    raise NotImplementedError


def softmax(Z):
    """Row-wise softmax of Z (n, C), stable for logits of any size."""
    raise NotImplementedError


def fit_multinomial(X, y, n_classes, lr=0.1, l2=0.0, epochs=100):
    """Softmax regression by gradient descent from W = 0 (d, C), b = 0 (C,).

    y: (n,) int class indices in [0, n_classes) (some classes may be absent). Same update rule as fit_binary.
    Returns (W (d, n_classes), b (n_classes,)).
    """
    raise NotImplementedError
