"""Correct alternative for logistic_regression: plain Python loops over samples with math, float64 throughout."""

import math

import numpy as np


def _sig(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.array([_sig(v) for v in z.ravel()]).reshape(z.shape)


def _softplus(z):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def binary_loss(w, b, X, y, l2=0.0):
    total = 0.0
    for xi, yi in zip(X, y):
        z = float(np.dot(xi, w)) + b
        total += _softplus(z) - yi * z
    return total / len(y) + 0.5 * l2 * float(np.dot(w, w))


def binary_grad(w, b, X, y, l2=0.0):
    dw, db = np.zeros(len(w)), 0.0
    for xi, yi in zip(X, y):
        r = _sig(float(np.dot(xi, w)) + b) - yi
        dw += r * xi
        db += r
    return dw / len(y) + l2 * np.asarray(w), db / len(y)


def fit_binary(X, y, lr=0.1, l2=0.0, epochs=100):
    params = [0.0] * (X.shape[1] + 1)  # weights, then the bias
    epoch = 0
    while epoch < epochs:
        w = np.array(params[:-1])
        grad_w, grad_b = binary_grad(w, params[-1], X, y, l2)
        params = [p - lr * g for p, g in zip(params, list(grad_w) + [grad_b])]
        epoch += 1
    return np.array(params[:-1]), params[-1]


def softmax(Z):
    rows = []
    for z in np.asarray(Z, dtype=np.float64):
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        rows.append([v / s for v in e])
    return np.array(rows)


def fit_multinomial(X, y, n_classes, lr=0.1, l2=0.0, epochs=100):
    d, n = X.shape[1], len(y)
    W, b = np.zeros((d, n_classes)), np.zeros(n_classes)
    for _ in range(epochs):
        dW, db = np.zeros_like(W), np.zeros_like(b)
        for xi, p, yi in zip(X, softmax(X @ W + b), y):
            p = p.copy()
            p[yi] -= 1.0
            dW += np.outer(xi, p)
            db += p
        W, b = W - lr * (dW / n + l2 * W), b - lr * db / n
    return W, b
