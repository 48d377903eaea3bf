"""LayerNorm forward and backward by hand, in NumPy (no torch): normalise each sample over its last axis."""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """y = γ · (x − mean) / sqrt(var + eps) + β, statistics over the last axis of each sample.

    x: (..., D) float array (float32 or float64), e.g. (N, D) or (B, T, D); not modified.
    gamma, beta: (D,) arrays.  var is the biased variance (divide by D), as torch.nn.LayerNorm.
    Returns (y, cache): y has the shape and dtype of x; cache is whatever layernorm_backward needs.
    """
    raise NotImplementedError


def layernorm_backward(dy, cache):
    """Gradients of the forward pass that produced ``cache``.

    dy: d loss / d y, the shape of x.
    Returns (dx, dgamma, dbeta): dx the shape of x, dgamma and dbeta shape (D,), in the dtype of x.
    """
    raise NotImplementedError
