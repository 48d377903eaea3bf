"""Naive Bayes in numpy: multinomial (word counts, Laplace smoothing) and Gaussian (real features).
Everything is scored in LOG space: products of many small probabilities underflow to 0.

Labels y are ints 0..C−1 (every class present). Log posteriors are normalised over the classes
(each row's exp sums to 1). Inputs must not be modified.
"""

import numpy as np


def fit_multinomial_nb(X, y, alpha=1.0):
    """X: (n, V) word counts; y: (n,). Returns (log_prior (C,), log_likelihood (C, V)):
    log_prior[c] = log(n_c / n);  log_likelihood[c, w] = log((N_cw + alpha) / (N_c + alpha·V)),
    N_cw = total count of word w in class c's documents, N_c = Σ_w N_cw."""
    raise NotImplementedError


def multinomial_log_proba(X, log_prior, log_likelihood):
    """(n, C) log P(c | x) ∝ log_prior[c] + Σ_w x_w · log_likelihood[c, w], normalised by log-sum-exp."""
    raise NotImplementedError


def fit_gaussian_nb(X, y, var_smoothing=1e-9):
    """X: (n, d) floats. Returns (log_prior (C,), means (C, d), variances (C, d)): per-class means and
    maximum-likelihood variances (divide by n_c), each plus var_smoothing · max over features of var(X[:, j])."""
    raise NotImplementedError


def gaussian_log_proba(X, log_prior, means, variances):
    """(n, C) log P(c | x) ∝ log_prior[c] + Σ_j log N(x_j; means[c, j], variances[c, j]), normalised."""
    raise NotImplementedError
