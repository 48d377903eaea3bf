"""Reference solution for the `conv2d_backward` exercise: gradients of a 2-D convolution (NCHW, torch semantics)."""

import numpy as np


def _pair(value):
    return (int(value), int(value)) if np.isscalar(value) else (int(value[0]), int(value[1]))


def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1):
    x, w, dout = np.asarray(x), np.asarray(w), np.asarray(dout)
    (sh, sw), (ph, pw), (dh, dw_) = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, wd = x.shape
    c_out, c_in, kh, kw = w.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw_ * (kw - 1) - 1) // sw + 1
    if c_in != c or dout.shape != (n, c_out, ho, wo):
        raise ValueError(f"dout {dout.shape} does not fit x {x.shape} and w {w.shape}: expected {(n, c_out, ho, wo)}")
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros(xp.shape, dtype=np.result_type(x, w, dout))
    dw = np.zeros(w.shape, dtype=dxp.dtype)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dh, j * dw_
            # tap (i, j) read xp[..., r0 + s·a, c0 + s·b] for output (a, b): send dout back to exactly those inputs
            rows, cols = slice(r0, r0 + sh * (ho - 1) + 1, sh), slice(c0, c0 + sw * (wo - 1) + 1, sw)
            dw[:, :, i, j] = np.einsum("nohw,nchw->oc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nohw,oc->nchw", dout, w[:, :, i, j])
    dx = dxp[:, :, ph:ph + h, pw:pw + wd]  # drop the padding on both sides
    db = dout.sum(axis=(0, 2, 3))  # the bias is shared by every sample and every position
    return dx, dw, db
