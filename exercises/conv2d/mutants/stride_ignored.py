"""Stride ignored: the output size and the sampling use stride 1."""

import numpy as np


def _pair(value, name):
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {value!r}")
    return int(value[0]), int(value[1])


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x = np.asarray(x)
    w = np.asarray(w)
    n, c_in, h, wd = x.shape
    c_out, c_per_group, kh, kw = w.shape
    sh, sw = 1, 1  # stride ignored
    ph, pw = _pair(padding, "padding")
    dh, dw = _pair(dilation, "dilation")
    if c_in % groups or c_out % groups or c_in // groups != c_per_group:
        raise ValueError(f"input has {c_in} channels, weight {tuple(w.shape)} with groups={groups} does not fit")
    # effective kernel extent with dilation: d·(k−1)+1
    h_out = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    w_out = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if h_out <= 0 or w_out <= 0:
        raise ValueError(f"kernel larger than the padded input: output would be {h_out}x{w_out}")

    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dtype = np.result_type(x, w)
    xg = xp.reshape(n, groups, c_per_group, h + 2 * ph, wd + 2 * pw)
    wg = w.reshape(groups, c_out // groups, c_per_group, kh, kw)
    out = np.zeros((n, groups, c_out // groups, h_out, w_out), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dh, j * dw
            patch = xg[:, :, :, r0:r0 + sh * (h_out - 1) + 1:sh, c0:c0 + sw * (w_out - 1) + 1:sw]
            # cross-correlation: weight[i, j] multiplies input at offset (i, j) — no kernel flip
            out += np.einsum("ngchw,goc->ngohw", patch, wg[:, :, :, i, j])
    out = out.reshape(n, c_out, h_out, w_out)
    if b is not None:
        out = out + np.asarray(b).reshape(1, c_out, 1, 1)
    return out.astype(dtype, copy=False)
