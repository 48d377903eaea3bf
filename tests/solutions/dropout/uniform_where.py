"""Correct alternative for dropout: compare uniforms with the keep probability and select with np.where."""

import numpy as np


def dropout_forward(x, p=0.5, training=True, rng=None):
    if not (0 <= p <= 1):
        raise ValueError(f"bad p {p}")
    x = np.asarray(x)
    if not training:
        return x + 0, ("eval", None, None)
    rng = rng or np.random.default_rng()
    q = 1.0 - p
    keep = rng.uniform(size=x.shape) < q
    out = np.where(keep, x / q if q > 0 else x, np.zeros((), dtype=x.dtype))
    return out.astype(x.dtype), ("train", keep, q)


def dropout_backward(dout, cache):
    mode, keep, q = cache
    if mode == "eval":
        return dout + 0
    return np.where(keep, dout / q if q > 0 else dout, np.zeros((), dtype=dout.dtype)).astype(dout.dtype)
