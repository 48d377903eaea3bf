"""2-D convolution (cross-correlation) in NumPy, with the semantics of torch.nn.functional.conv2d.

Only NumPy is allowed here (no torch, no scipy).
"""

import numpy as np


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · xpad[n, g·C_in/groups + c, i·sh + p·dh, j·sw + q·dw]
    (g = the group of output channel o; the kernel is NOT flipped).

    x: (N, C_in, H, W) float32 or float64.
    w: (C_out, C_in // groups, kH, kW).
    b: optional (C_out,).
    stride, padding, dilation: int or (h, w) pair. padding = zeros added on each side.
    groups: C_in and C_out are both split into `groups` groups; output group g sees only input group g.
    Returns (N, C_out, H_out, W_out) with H_out = (H + 2·ph − dh·(kH − 1) − 1) // sh + 1 (same for W),
    dtype np.result_type(x, w).
    Raise ValueError when the channels do not fit the groups or the output would be empty.
    """
    raise NotImplementedError
