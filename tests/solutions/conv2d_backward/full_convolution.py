"""Correct alternative for conv2d_backward: dx as a full convolution of the stride-dilated dout with the flipped,
dilated kernel (the textbook formula); dW and db by loops over output positions."""

import numpy as np


def _two(v):
    return (v, v) if np.isscalar(v) else tuple(int(t) for t in v)


def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = _two(stride), _two(padding), _two(dilation)
    n, c, h, wd = x.shape
    o, c2, kh, kw = w.shape
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1                  # extent of the dilated kernel
    ho, wo = (h + 2 * ph - ekh) // sh + 1, (wd + 2 * pw - ekw) // sw + 1
    if c2 != c or dout.shape != (n, o, ho, wo):
        raise ValueError("dout does not match the forward output")
    spread = np.zeros((n, o, sh * (ho - 1) + 1, sw * (wo - 1) + 1), dtype=dout.dtype)
    spread[:, :, ::sh, ::sw] = dout                                  # insert stride − 1 zeros between gradients
    kernel = np.zeros((o, c, ekh, ekw), dtype=w.dtype)
    kernel[:, :, ::dh, ::dw] = w
    flipped = kernel[:, :, ::-1, ::-1]
    padded = np.pad(spread, ((0, 0), (0, 0), (ekh - 1, ekh - 1), (ekw - 1, ekw - 1)))
    hc, wc = spread.shape[2] + ekh - 1, spread.shape[3] + ekw - 1    # padded-input rows/cols reached by a window
    reached = np.zeros((n, c, hc, wc), dtype=np.result_type(x, w, dout))
    for i in range(ekh):
        for j in range(ekw):
            reached += np.einsum("nohw,oc->nchw", padded[:, :, i:i + hc, j:j + wc], flipped[:, :, i, j])
    dxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=reached.dtype)
    dxp[:, :, :hc, :wc] = reached
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dW = np.zeros(w.shape, dtype=reached.dtype)
    for a in range(ho):
        for b in range(wo):
            window = xp[:, :, a * sh:a * sh + ekh:dh, b * sw:b * sw + ekw:dw]       # (n, c, kh, kw)
            dW += np.einsum("no,nckl->ockl", dout[:, :, a, b], window)
    return dxp[:, :, ph:ph + h, pw:pw + wd], dW, dout.sum(axis=(0, 2, 3))
