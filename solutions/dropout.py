"""Reference solution for the `dropout` exercise: inverted dropout in NumPy, forward and backward with one mask."""

import numpy as np


def dropout_forward(x, p=0.5, training=True, rng=None):
    x = np.asarray(x)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p is the probability of dropping and must lie in [0, 1], got {p}")
    if not training or p == 0.0:
        return x.copy(), None  # inverted dropout: nothing to undo at test time
    rng = np.random.default_rng() if rng is None else rng
    mask = rng.random(x.shape) >= p  # keep with probability 1 − p
    scale = 1.0 / (1.0 - p) if p < 1.0 else 0.0  # rescale now so that E[out] = x
    return (x * mask * scale).astype(x.dtype, copy=False), (mask, scale)


def dropout_backward(dout, cache):
    if cache is None:
        return np.array(dout, copy=True)
    mask, scale = cache
    return (dout * mask * scale).astype(np.asarray(dout).dtype, copy=False)  # the same mask as the forward
