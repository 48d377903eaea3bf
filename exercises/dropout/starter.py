"""Inverted dropout in NumPy: training mask and rescaling, identity at eval, backward through the same mask."""

import numpy as np


def dropout_forward(x, p=0.5, training=True, rng=None):
    """Drop each value with probability p and rescale the kept ones so that E[out] = x.

    x: float array of any shape (float32 or float64); not modified.
    p: probability of DROPPING a value, in [0, 1] (else ValueError). p = 1 drops everything (all zeros).
    training: False → the output equals x (inverted dropout needs nothing at test time).
    rng: a numpy Generator to draw the mask from (None → a fresh np.random.default_rng()).
    Returns (out, cache): out has the shape and dtype of x; cache is what dropout_backward needs.
    """
    raise NotImplementedError


def dropout_backward(dout, cache):
    """d loss / d x given dout = d loss / d out, for the forward call that returned ``cache``."""
    raise NotImplementedError
