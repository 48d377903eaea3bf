"""Correct alternative for logistic_regression: sigmoid through log-sum-exp, one-hot targets, einsum gradients."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def binary_loss(w, b, X, y, l2=0.0):
    z = X @ w + b
    # y·softplus(−z) + (1 − y)·softplus(z)
    return float(np.mean(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)) + l2 * np.sum(w ** 2) / 2)


def binary_grad(w, b, X, y, l2=0.0):
    err = sigmoid(np.einsum("nd,d->n", X, w) + b) - y
    return np.einsum("nd,n->d", X, err) / X.shape[0] + l2 * w, float(np.mean(err))


def fit_binary(X, y, lr=0.1, l2=0.0, epochs=100):
    theta = np.zeros(X.shape[1] + 1)  # weights then bias
    for _ in range(epochs):
        dw, db = binary_grad(theta[:-1], theta[-1], X, y, l2)
        theta -= lr * np.append(dw, db)
    return theta[:-1], float(theta[-1])


def softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    shifted = Z - np.max(Z, axis=-1, keepdims=True)
    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)))


def fit_multinomial(X, y, n_classes, lr=0.1, l2=0.0, epochs=100):
    onehot = np.zeros((len(y), n_classes))
    onehot[np.arange(len(y)), y] = 1.0
    Xb = np.hstack([X, np.ones((len(y), 1))])  # bias as an extra, unpenalised row
    theta = np.zeros((X.shape[1] + 1, n_classes))
    mask = np.ones_like(theta)
    mask[-1] = 0.0
    for _ in range(epochs):
        grad = np.einsum("nd,nc->dc", Xb, softmax(Xb @ theta) - onehot) / len(y) + l2 * mask * theta
        theta = theta - lr * grad
    return theta[:-1], theta[-1]
