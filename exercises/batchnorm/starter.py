"""BatchNorm2d by hand in torch: batch statistics and running statistics in training, running statistics in eval."""

import torch


def batch_norm2d(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Like torch.nn.functional.batch_norm for an (N, C, H, W) input.

    x: (N, C, H, W) float tensor (float32 or float64), any memory format (e.g. channels_last).
    running_mean, running_var: (C,) tensors, updated IN PLACE when training (they may be None in training:
        then nothing is tracked). In eval mode they are what the input is normalised with.
    weight, bias: (C,) or None (None = 1 and 0).
    training: True → normalise with this batch's mean and biased variance over (N, H, W), and update
        running = (1 − momentum)·running + momentum·batch, with the UNBIASED batch variance for running_var.
        Fewer than 2 values per channel → ValueError.
    Returns y, the shape and dtype of x, differentiable with autograd.
    """
    raise NotImplementedError
