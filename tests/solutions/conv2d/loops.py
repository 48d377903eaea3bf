"""A correct conv2d with explicit loops over output channels and kernel taps (slow but plain)."""

import numpy as np


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x = np.asarray(x)
    w = np.asarray(w)
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    n, c, h, wid = x.shape
    o, cg, kh, kw = w.shape
    if c != cg * groups or o % groups != 0:
        raise ValueError("weight does not match the input channels and groups")
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wid + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ValueError("empty output")
    dtype = np.result_type(x, w)
    padded = np.pad(x.astype(dtype), [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    y = np.zeros((n, o, oh, ow), dtype=dtype)
    per_group = o // groups
    for oc in range(o):
        first = (oc // per_group) * cg
        for i in range(kh):
            for j in range(kw):
                window = padded[:, first:first + cg, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                j * dw:j * dw + sw * (ow - 1) + 1:sw]
                y[:, oc] += np.tensordot(window, w[oc, :, i, j], axes=([1], [0]))
        if b is not None:
            y[:, oc] += b[oc]
    return y
