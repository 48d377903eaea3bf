"""2-D max pooling and average pooling, forward and backward, in NumPy (NCHW, torch semantics)."""

import numpy as np


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each window, like torch.nn.functional.max_pool2d (floor mode, no dilation).

    x: (N, C, H, W) float array (float32 or float64); H and W may differ.
    kernel_size, stride, padding: an int or a pair (rows, cols). stride=None means stride = kernel_size.
    Padding is implicit −inf (it never wins); 0 <= padding <= kernel // 2, else ValueError.
    Output: (N, C, H_out, W_out), H_out = (H + 2·pad − k) // stride + 1 (same for W), dtype of x.
    Returns (out, cache).
    """
    raise NotImplementedError


def max_pool2d_backward(dout, cache):
    """dx (the shape of x): each window's gradient goes to ONE input, the first maximum in row-major order
    of the window; overlapping windows add up."""
    raise NotImplementedError


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each window, like torch.nn.functional.avg_pool2d (floor mode).

    Zero padding; count_include_pad=True divides by kh·kw, False by the number of real (non-padding) inputs.
    Returns (out, cache).
    """
    raise NotImplementedError


def avg_pool2d_backward(dout, cache):
    """dx (the shape of x): each window spreads its gradient evenly over the inputs it averaged."""
    raise NotImplementedError
