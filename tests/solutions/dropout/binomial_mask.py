"""Correct alternative for dropout: a Binomial(1, 1 − p) mask, the scaled mask itself kept for the backward."""

import numpy as np


def dropout_forward(x, p=0.5, training=True, rng=None):
    if p < 0 or p > 1:
        raise ValueError("p must be a probability")
    x = np.asarray(x)
    if not training:
        return np.array(x), np.ones((), dtype=x.dtype)
    gen = rng if rng is not None else np.random.default_rng()
    keep = gen.binomial(1, 1 - p, size=x.shape).astype(x.dtype)
    scaled = keep / (1 - p) if p != 1 else keep
    return x * scaled, scaled


def dropout_backward(dout, cache):
    return dout * cache
