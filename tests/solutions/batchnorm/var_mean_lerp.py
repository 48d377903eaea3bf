"""Correct alternative for batchnorm: torch.var_mean with an explicit correction, buffers moved with lerp_."""

import torch


def batch_norm2d(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if x.ndim != 4:
        raise ValueError("batch_norm2d expects a 4-D input")
    if not training:
        mean, var = running_mean[None, :, None, None], running_var[None, :, None, None]
    else:
        m = x.shape[0] * x.shape[2] * x.shape[3]
        if m == 1:
            raise ValueError("one value per channel")
        var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0, keepdim=True)
        if running_mean is not None:
            with torch.no_grad():
                running_mean.lerp_(mean.flatten(), momentum)
                running_var.lerp_(var.flatten() * (m / (m - 1)), momentum)
    y = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        y = weight[None, :, None, None] * y
    if bias is not None:
        y = y + bias[None, :, None, None]
    return y
