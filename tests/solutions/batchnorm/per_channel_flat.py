"""Correct alternative for batchnorm: channels flattened to (C, N·H·W), float64 statistics, buffers set with copy_."""

import torch


def batch_norm2d(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if x.dim() != 4:
        raise ValueError("need (N, C, H, W)")
    c = x.shape[1]
    flat = x.transpose(0, 1).reshape(c, -1)
    if training:
        count = flat.shape[1]
        if count <= 1:
            raise ValueError("more than one value per channel is needed to train")
        mean = flat.double().sum(dim=1) / count
        sq = ((flat.double() - mean[:, None]) ** 2).sum(dim=1)
        var = sq / count
        if running_mean is not None:
            with torch.no_grad():
                running_mean.copy_((1 - momentum) * running_mean + momentum * mean.detach())
                running_var.copy_((1 - momentum) * running_var + momentum * sq.detach() / (count - 1))
        mean, var = mean.to(x.dtype), var.to(x.dtype)
    else:
        mean, var = running_mean, running_var
    out = (flat - mean[:, None]) * torch.rsqrt(var[:, None] + eps)
    if weight is not None:
        out = out * weight[:, None]
    if bias is not None:
        out = out + bias[:, None]
    return out.reshape(c, x.shape[0], *x.shape[2:]).transpose(0, 1)
