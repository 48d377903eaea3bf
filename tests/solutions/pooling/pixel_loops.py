"""Correct alternative for pooling: plain loops over output pixels; np.argmax picks the first maximum."""

import numpy as np


def _two(v):
    return (v, v) if isinstance(v, (int, np.integer)) else (v[0], v[1])


def _plan(x, kernel_size, stride, padding):
    k, p = _two(kernel_size), _two(padding)
    s = k if stride is None else _two(stride)
    if p[0] * 2 > k[0] or p[1] * 2 > k[1] or min(p) < 0:
        raise ValueError("padding too large")
    out = [(x.shape[2 + a] + 2 * p[a] - k[a]) // s[a] + 1 for a in (0, 1)]
    if min(out) <= 0:
        raise ValueError("kernel larger than input")
    return k, s, p, out


def _windows(plan):
    k, s, p, (ho, wo) = plan
    for r in range(ho):
        for c in range(wo):
            yield r, c, r * s[0] - p[0], c * s[1] - p[1]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    x = np.asarray(x)
    plan = _plan(x, kernel_size, stride, padding)
    k = plan[0]
    n, ch = x.shape[:2]
    out = np.empty((n, ch, *plan[3]), dtype=x.dtype)
    where = {}
    for r, c, top, left in _windows(plan):
        for b in range(n):
            for q in range(ch):
                best, pos = -np.inf, None
                for i in range(top, top + k[0]):
                    for j in range(left, left + k[1]):
                        if 0 <= i < x.shape[2] and 0 <= j < x.shape[3] and x[b, q, i, j] > best:
                            best, pos = x[b, q, i, j], (i, j)
                out[b, q, r, c] = best
                where[b, q, r, c] = pos
    return out, (x.shape, where)


def max_pool2d_backward(dout, cache):
    shape, where = cache
    dx = np.zeros(shape, dtype=np.asarray(dout).dtype)
    for (b, q, r, c), (i, j) in where.items():
        dx[b, q, i, j] += dout[b, q, r, c]
    return dx


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    x = np.asarray(x)
    plan = _plan(x, kernel_size, stride, padding)
    k = plan[0]
    out = np.empty((*x.shape[:2], *plan[3]), dtype=x.dtype)
    spans = {}
    for r, c, top, left in _windows(plan):
        i0, i1 = max(top, 0), min(top + k[0], x.shape[2])
        j0, j1 = max(left, 0), min(left + k[1], x.shape[3])
        count = k[0] * k[1] if count_include_pad else (i1 - i0) * (j1 - j0)
        out[:, :, r, c] = x[:, :, i0:i1, j0:j1].sum(axis=(2, 3)) / count
        spans[r, c] = (i0, i1, j0, j1, count)
    return out, (x.shape, spans)


def avg_pool2d_backward(dout, cache):
    shape, spans = cache
    dx = np.zeros(shape, dtype=np.asarray(dout).dtype)
    for (r, c), (i0, i1, j0, j1, count) in spans.items():
        dx[:, :, i0:i1, j0:j1] += dout[:, :, r, c][:, :, None, None] / count
    return dx
