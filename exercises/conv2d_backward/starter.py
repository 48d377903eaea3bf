"""Gradients of a 2-D convolution (torch's F.conv2d: cross-correlation, NCHW, groups = 1), by hand in NumPy."""

import numpy as np


def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1):
    """dout: (N, C_out, H_out, W_out) = d loss / d out, for out = conv2d(x, w, b, stride, padding, dilation).

    x: (N, C, H, W); w: (C_out, C, kh, kw); stride, padding, dilation: ints or (rows, cols) pairs.
    H_out = (H + 2·pad − dil·(kh − 1) − 1) // stride + 1 (same for W); any other dout shape → ValueError.
    Returns (dx, dw, db): shapes of x, of w, and (C_out,), float64 for float64 inputs, float32 for float32.
    """
    raise NotImplementedError
