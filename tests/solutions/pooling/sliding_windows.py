"""Correct alternative for pooling: sliding_window_view over the padded input, float64 inside, np.add.at scatter."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _windows(x, kernel_size, stride, padding, fill):
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    if not (0 <= ph <= kh // 2 and 0 <= pw <= kw // 2):
        raise ValueError("padding must be at most half the kernel")
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    if xp.shape[2] < kh or xp.shape[3] < kw:
        raise ValueError("window larger than the input")
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # (N, C, Ho, Wo, kh, kw)
    return win, xp.shape, (kh, kw, sh, sw, ph, pw)


def _rows_cols(shape_out, geo):
    kh, kw, sh, sw, _, _ = geo
    ho, wo = shape_out
    return np.arange(ho)[:, None] * sh, np.arange(wo)[None, :] * sw


def max_pool2d(x, kernel_size, stride=None, padding=0):
    win, padded, geo = _windows(x, kernel_size, stride, padding, -np.inf)
    flat = win.reshape(*win.shape[:4], -1)
    first = flat.argmax(axis=-1)
    return flat.max(axis=-1).astype(np.asarray(x).dtype), (padded, geo, first, np.asarray(x).shape)


def max_pool2d_backward(dout, cache):
    padded, (kh, kw, sh, sw, ph, pw), first, shape = cache
    rows, cols = _rows_cols(first.shape[2:], (kh, kw, sh, sw, ph, pw))
    n, c = first.shape[:2]
    dxp = np.zeros(padded)
    bi, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    r = rows[None, None] + first // kw
    q = cols[None, None] + first % kw
    np.add.at(dxp, (bi[..., None, None], ci[..., None, None], r, q), dout)
    return dxp[:, :, ph:ph + shape[2], pw:pw + shape[3]].astype(np.asarray(dout).dtype)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    win, padded, geo = _windows(x, kernel_size, stride, padding, 0.0)
    kh, kw = geo[:2]
    if count_include_pad:
        count = np.full(win.shape[2:4], kh * kw, dtype=np.float64)
    else:
        real = np.ones((1, 1) + np.asarray(x).shape[2:])
        count = _windows(real, kernel_size, stride, padding, 0.0)[0].sum(axis=(-1, -2))[0, 0]
    return (win.sum(axis=(-1, -2)) / count).astype(np.asarray(x).dtype), (padded, geo, count, np.asarray(x).shape)


def avg_pool2d_backward(dout, cache):
    padded, geo, count, shape = cache
    kh, kw, sh, sw, ph, pw = geo
    rows, cols = _rows_cols(count.shape, geo)
    dxp = np.zeros(padded)
    share = dout / count
    for i in range(kh):
        for j in range(kw):
            np.add.at(dxp, (slice(None), slice(None), rows + i, cols + j), share)
    return dxp[:, :, ph:ph + shape[2], pw:pw + shape[3]].astype(np.asarray(dout).dtype)
