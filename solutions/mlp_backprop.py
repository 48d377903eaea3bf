"""Reference solution for the `mlp_backprop` exercise: a two-layer ReLU MLP with its backward pass, in NumPy."""

import numpy as np


def mlp_forward(x, W1, b1, W2, b2):
    pre = x @ W1 + b1           # (N, H)
    h = np.maximum(pre, 0.0)    # ReLU
    out = h @ W2 + b2           # (N, O)
    return out, (x, W1, W2, pre, h)


def mlp_backward(dout, cache):
    x, W1, W2, pre, h = cache
    dW2 = h.T @ dout            # (H, O): the batch is summed by the matrix product
    db2 = dout.sum(axis=0)      # every row used the same bias: sum, not mean
    dh = dout @ W2.T
    dpre = dh * (pre > 0)       # ReLU passes the gradient where its INPUT was positive (0 at exactly 0, as torch)
    dW1 = x.T @ dpre
    db1 = dpre.sum(axis=0)
    dx = dpre @ W1.T
    return dx, dW1, db1, dW2, db2
