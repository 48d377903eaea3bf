"""Reference solution for the `logistic_regression` exercise: binary and multinomial logistic regression
trained by full-batch gradient descent with L2 on the weights (not the bias), in float64 numpy."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def binary_loss(w, b, X, y, l2=0.0):
    z = X @ w + b
    nll = np.logaddexp(0, z) - y * z  # −log σ(z) for y = 1, −log(1 − σ(z)) for y = 0, stable
    return nll.mean() + 0.5 * l2 * (w @ w)


def binary_grad(w, b, X, y, l2=0.0):
    r = sigmoid(X @ w + b) - y
    return X.T @ r / len(y) + l2 * w, r.mean()


def fit_binary(X, y, lr=0.1, l2=0.0, epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        dw, db = binary_grad(w, b, X, y, l2)
        w, b = w - lr * dw, b - lr * db
    return w, b


def softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def multinomial_grad(W, b, X, y, l2=0.0):
    R = softmax(X @ W + b)
    R[np.arange(len(y)), y] -= 1
    return X.T @ R / len(y) + l2 * W, R.mean(axis=0)


def fit_multinomial(X, y, n_classes, lr=0.1, l2=0.0, epochs=100):
    W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
    for _ in range(epochs):
        dW, db = multinomial_grad(W, b, X, y, l2)
        W, b = W - lr * dW, b - lr * db
    return W, b
