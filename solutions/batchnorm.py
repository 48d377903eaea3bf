"""Reference solution for the `batchnorm` exercise: BatchNorm2d by hand, training (running statistics) and eval."""

import torch


def batch_norm2d(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if x.dim() != 4:
        raise ValueError(f"expected an (N, C, H, W) input, got shape {tuple(x.shape)}")
    dims = (0, 2, 3)
    if training:
        n = x.numel() // x.shape[1]  # values per channel
        if n < 2:
            raise ValueError("training needs more than one value per channel")
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, unbiased=False)  # the batch is normalised with the biased variance
        if running_mean is not None:
            with torch.no_grad():  # in place: the caller's buffers are the running statistics
                running_mean.mul_(1 - momentum).add_(momentum * mean)
                running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))  # ...but tracks the unbiased one
    else:
        mean, var = running_mean, running_var
    shape = (1, -1, 1, 1)
    y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
    if weight is not None:
        y = y * weight.view(shape)
    if bias is not None:
        y = y + bias.view(shape)
    return y
