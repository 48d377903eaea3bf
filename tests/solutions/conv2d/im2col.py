"""A correct conv2d by im2col: every receptive field gathered into a column, then one matmul per group."""

import numpy as np


def _two(v):
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x, w = np.asarray(x), np.asarray(w)
    N, C, H, W = x.shape
    O, Cg, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = _two(stride), _two(padding), _two(dilation)
    if groups < 1 or C % groups or O % groups or C // groups != Cg:
        raise ValueError("channels and groups do not match")
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    if OH < 1 or OW < 1:
        raise ValueError("kernel does not fit")
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=np.result_type(x, w))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    rows = (np.arange(OH) * sh)[:, None] + (np.arange(KH) * dh)[None, :]     # (OH, KH)
    cols = (np.arange(OW) * sw)[:, None] + (np.arange(KW) * dw)[None, :]     # (OW, KW)
    patches = xp[:, :, rows[:, None, :, None], cols[None, :, None, :]]      # (N, C, OH, OW, KH, KW)
    out = []
    for g in range(groups):
        p = patches[:, g * Cg:(g + 1) * Cg]                                 # (N, Cg, OH, OW, KH, KW)
        cols_g = p.transpose(0, 2, 3, 1, 4, 5).reshape(N, OH, OW, -1)
        wg = w[g * (O // groups):(g + 1) * (O // groups)].reshape(O // groups, -1)
        out.append(cols_g @ wg.T)                                            # (N, OH, OW, O/groups)
    y = np.concatenate(out, axis=-1).transpose(0, 3, 1, 2)
    if b is not None:
        y = y + np.asarray(b)[None, :, None, None]
    return y.astype(np.result_type(x, w))
