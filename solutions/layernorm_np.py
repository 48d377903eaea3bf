"""Reference solution for the `layernorm_np` exercise: LayerNorm forward and backward over the last axis, in NumPy."""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    x = np.asarray(x)
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)  # biased (÷ D), as nn.LayerNorm; two-pass, no cancellation
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    y = gamma * x_hat + beta
    return y, (x_hat, inv_std, np.asarray(gamma))


def layernorm_backward(dy, cache):
    x_hat, inv_std, gamma = cache
    lead = tuple(range(dy.ndim - 1))  # γ and β are shared by every position: sum over all leading axes
    dgamma = (dy * x_hat).sum(axis=lead)
    dbeta = dy.sum(axis=lead)
    g = dy * gamma  # d loss / d x_hat
    # x_hat depends on x through the mean and the variance as well: two correction terms
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
