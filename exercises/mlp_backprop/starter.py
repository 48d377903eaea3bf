"""A two-layer MLP with ReLU, forward and backward by hand in NumPy: out = relu(x·W1 + b1)·W2 + b2."""

import numpy as np


def mlp_forward(x, W1, b1, W2, b2):
    """x: (N, D); W1: (D, H); b1: (H,); W2: (H, O); b2: (O,) — float32 or float64, possibly non-contiguous views.

    Returns (out, cache): out (N, O) = relu(x @ W1 + b1) @ W2 + b2; cache is what mlp_backward needs.
    Nothing passed in may be modified.
    """
    raise NotImplementedError


def mlp_backward(dout, cache):
    """dout: (N, O) = d loss / d out.  Returns (dx, dW1, db1, dW2, db2), each the shape of its variable.

    The ReLU's derivative at exactly 0 is taken as 0 (as torch does).
    """
    raise NotImplementedError
