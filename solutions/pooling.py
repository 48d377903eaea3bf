"""Reference solution for the `pooling` exercise: 2-D max and average pooling with their backward, in NumPy."""

import numpy as np


def _pair(value):
    return (int(value), int(value)) if np.isscalar(value) else (int(value[0]), int(value[1]))


def _geometry(shape, kernel_size, stride, padding):
    """(kernel, stride, padding, output size) for an (N, C, H, W) input, checked like torch."""
    h, w = shape[2], shape[3]
    kh, kw = _pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)  # torch: the stride defaults to the kernel size
    ph, pw = _pair(padding)
    if min(kh, kw, sh, sw) < 1 or ph < 0 or pw < 0 or 2 * ph > kh or 2 * pw > kw:
        raise ValueError("need kernel, stride >= 1 and 0 <= padding <= kernel // 2")
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"the window does not fit the input {shape}")
    return (kh, kw), (sh, sw), (ph, pw), (ho, wo)


def _tap(a, i, j, geo):
    """The strided view of padded ``a`` that kernel position (i, j) reads, one element per output window."""
    _, (sh, sw), _, (ho, wo) = geo
    return a[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]


def _pad(x, geo, value):
    ph, pw = geo[2]
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _scatter(parts, shape, geo):
    """Sum the per-tap gradients back into an input-shaped array (windows may overlap)."""
    (kh, kw), _, (ph, pw), _ = geo
    dxp = np.zeros((shape[0], shape[1], shape[2] + 2 * ph, shape[3] + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            _tap(dxp, i, j, geo)[...] += parts(i, j)
    return dxp[:, :, ph:ph + shape[2], pw:pw + shape[3]]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    x = np.asarray(x)
    geo = _geometry(x.shape, kernel_size, stride, padding)
    xp = _pad(x, geo, -np.inf)  # padding never wins a max
    (kh, kw), _, _, (ho, wo) = geo
    best = np.full(x.shape[:2] + (ho, wo), -np.inf)
    arg = np.zeros(best.shape, dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            v = _tap(xp, i, j, geo)
            better = v > best  # strict: among tied values the first in row-major window order wins
            best = np.where(better, v, best)
            arg = np.where(better, i * kw + j, arg)
    return best.astype(x.dtype), (x.shape, geo, arg, xp, best)


def max_pool2d_backward(dout, cache):
    shape, geo, arg, xp, best = cache
    kw = geo[0][1]
    dx = _scatter(lambda i, j: dout * (arg == i * kw + j), shape, geo)  # each window's gradient to one input
    return dx.astype(np.asarray(dout).dtype)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    x = np.asarray(x)
    geo = _geometry(x.shape, kernel_size, stride, padding)
    (kh, kw), _, _, _ = geo
    xp, ones = _pad(x, geo, 0.0), _pad(np.ones((1, 1) + x.shape[2:]), geo, 0.0)
    total = sum(_tap(xp, i, j, geo) for i in range(kh) for j in range(kw))
    counts = kh * kw if count_include_pad else sum(_tap(ones, i, j, geo) for i in range(kh) for j in range(kw))
    return (total / counts).astype(x.dtype), (x.shape, geo, counts)


def avg_pool2d_backward(dout, cache):
    shape, geo, counts = cache
    share = dout / counts
    return _scatter(lambda i, j: share, shape, geo).astype(np.asarray(dout).dtype)
