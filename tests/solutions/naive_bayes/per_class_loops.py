"""Correct alternative for naive_bayes: loops over classes and samples, math.log, a hand-written log-sum-exp."""

import math

import numpy as np


def _lse_rows(rows):
    out = []
    for row in rows:
        m = max(row)
        z = m + math.log(sum(math.exp(v - m) for v in row))
        out.append([v - z for v in row])
    return np.array(out)


def _classes(y):
    return range(int(max(y)) + 1)


def fit_multinomial_nb(X, y, alpha=1.0):
    X, y = np.asarray(X), np.asarray(y)
    V = X.shape[1]
    log_prior, log_lik = [], []
    for c in _classes(y):
        docs = X[y == c]
        log_prior.append(math.log(len(docs) / len(y)))
        per_word = docs.sum(axis=0)
        total = float(per_word.sum())
        log_lik.append([math.log(float(k) + alpha) - math.log(total + alpha * V) for k in per_word])
    return np.array(log_prior), np.array(log_lik)


def multinomial_log_proba(X, log_prior, log_likelihood):
    rows = []
    for x in np.asarray(X, dtype=float):
        rows.append([log_prior[c] + float(np.dot(x, log_likelihood[c])) for c in range(len(log_prior))])
    return _lse_rows(rows)


def fit_gaussian_nb(X, y, var_smoothing=1e-9):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    eps = var_smoothing * max(float(np.var(X[:, j])) for j in range(X.shape[1]))
    priors, means, variances = [], [], []
    for c in _classes(y):
        part = X[y == c]
        mu = part.sum(axis=0) / len(part)
        priors.append(math.log(len(part) / len(X)))
        means.append(mu)
        variances.append(((part - mu) ** 2).sum(axis=0) / len(part) + eps)
    return np.array(priors), np.array(means), np.array(variances)


def gaussian_log_proba(X, log_prior, means, variances):
    rows = []
    for x in np.asarray(X, dtype=float):
        row = []
        for c in range(len(log_prior)):
            s = log_prior[c]
            for xj, mu, var in zip(x, means[c], variances[c]):
                s -= 0.5 * (math.log(2 * math.pi * var) + (xj - mu) ** 2 / var)
            row.append(s)
        rows.append(row)
    return _lse_rows(rows)
