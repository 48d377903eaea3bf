"""Correct alternative for mlp_backprop: einsum everywhere, the ReLU mask kept as a float array, float64 inside."""

import numpy as np


def mlp_forward(x, W1, b1, W2, b2):
    dtype = np.result_type(x, W1, W2)
    x64, w1, w2 = (np.asarray(a, np.float64) for a in (x, W1, W2))
    z = np.einsum("nd,dh->nh", x64, w1) + b1
    on = (z > 0).astype(np.float64)
    a = z * on
    y = np.einsum("nh,ho->no", a, w2) + b2
    return y.astype(dtype), (x64, w1, w2, a, on, dtype)


def mlp_backward(dout, cache):
    x64, w1, w2, a, on, dtype = cache
    g = np.asarray(dout, np.float64)
    grads_2 = (np.einsum("nh,no->ho", a, g), np.einsum("no->o", g))
    dz = np.einsum("no,ho->nh", g, w2) * on
    grads_1 = (np.einsum("nd,nh->dh", x64, dz), np.einsum("nh->h", dz))
    dx = np.einsum("nh,dh->nd", dz, w1)
    return tuple(t.astype(dtype) for t in (dx, *grads_1, *grads_2))
