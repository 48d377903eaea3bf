"""Hidden suite for conv2d_backward: NumPy gradients of a 2-D convolution against torch autograd (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)


def torch_grads(dout, x, w, **kw):
    xt, wt, bt = (torch.tensor(np.asarray(a, np.float64), requires_grad=True)
                  for a in (x, w, np.zeros(w.shape[0])))
    F.conv2d(xt, wt, bt, **kw).backward(torch.from_numpy(np.asarray(dout, np.float64)))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def out_shape(x, w, stride=1, padding=0, dilation=1):
    return tuple(F.conv2d(torch.zeros(x.shape, dtype=torch.float64), torch.zeros(w.shape, dtype=torch.float64),
                          stride=stride, padding=padding, dilation=dilation).shape)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def wrong_values(dout, x, w, stride=1, padding=0, dilation=1):
    """Each mistake's (dx, dw, db) computed with torch from a changed problem, by label (None: not computed)."""
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    right = torch_grads(dout, x, w, **kw)
    found = {"taps_mirrored": (torch_grads(dout, x, w[:, :, ::-1, ::-1].copy(), **kw)[0], None, None),
             "bias_grad_mean": (None, None, right[2] / (dout.size / dout.shape[1]))}
    if pair(dilation) != (1, 1):
        found["dilation_ignored"] = torch_grads(dout, x, w, stride=stride, padding=padding, dilation=1)[:2] + (None,) \
            if out_shape(x, w, stride, padding, 1) == dout.shape else None
    if w.shape[0] == w.shape[1]:
        found["weight_grad_channels_swapped"] = (None, right[1].transpose(1, 0, 2, 3), None)
    ph, pw = pair(padding)
    if pair(stride) != (1, 1):  # every tap's gradient placed densely: a stride-1 transposed convolution
        dense = F.conv_transpose2d(torch.from_numpy(np.asarray(dout, np.float64)),
                                   torch.from_numpy(w.astype(np.float64)), dilation=dilation).numpy()
        dxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw))
        dxp[:, :, :dense.shape[2], :dense.shape[3]] = dense
        found["stride_not_dilating"] = (dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], None, None)
    if ph or pw:
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        full = torch_grads(dout, xp, w, stride=stride, dilation=dilation)[0]
        found["padding_cropped_one_side"] = (full[:, :, :x.shape[2], :x.shape[3]], None, None)
    return {LABELS[k]: v for k, v in found.items() if v is not None}


def data(seed, n, c, h, wd, c_out, kh, kw, **geometry):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, wd))
    w = rng.standard_normal((c_out, c, kh, kw))
    dout = rng.standard_normal(out_shape(x, w, **geometry))
    return dout, x, w


def check(solution, dout, x, w, rtol=1e-10, atol=1e-10, dtype=None, **kw):
    before = [a.copy() for a in (dout, x, w)]
    got = solution.conv2d_backward(dout, x, w, **kw)
    assert all(np.array_equal(a, b) for a, b in zip((dout, x, w), before)), "an input array was modified"
    assert isinstance(got, tuple) and len(got) == 3, "conv2d_backward must return (dx, dw, db)"
    want = torch_grads(dout, x, w, **kw)
    wrong = wrong_values(dout, x, w, **kw)
    what = f"(x {x.shape}, w {w.shape}, {', '.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'})"
    for index, name in enumerate(("dx", "dw", "db")):
        named = {label: v[index] for label, v in wrong.items()
                 if v[index] is not None and not np.allclose(v[index], want[index], rtol=1e-9, atol=1e-12)}
        assert_close(got[index], want[index], rtol=rtol, atol=atol, dtype=dtype, name=f"{name} {what}", mistakes=named)


GEOMETRIES = [
    ((2, 3, 7, 6, 4, 3, 3), {}),
    ((1, 2, 9, 9, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 2, 8, 11, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0))),
    ((1, 3, 10, 10, 3, 3, 3), dict(dilation=2, padding=2)),
    ((1, 2, 12, 9, 3, 3, 3), dict(stride=3, padding=(2, 1), dilation=(1, 2))),
    ((2, 1, 6, 5, 2, 1, 1), dict(stride=2)),
    ((1, 2, 7, 7, 2, 2, 2), dict(stride=3)),
]


@pytest.mark.parametrize("shape,kw", GEOMETRIES, ids=[str(i) for i in range(len(GEOMETRIES))])
def test_gradients_match_torch_autograd(solution, shape, kw):
    check(solution, *data(sum(shape), *shape, **kw), **kw)


def test_defaults_stride_1_no_padding_no_dilation(solution):
    dout, x, w = data(1, 2, 2, 5, 6, 3, 2, 3)
    got = solution.conv2d_backward(dout, x, w)
    want = torch_grads(dout, x, w)
    for index, name in enumerate(("dx", "dw", "db")):
        assert_close(got[index], want[index], rtol=1e-10, atol=1e-10, name=f"{name} with the defaults")


def test_kernel_as_large_as_the_input(solution):
    check(solution, *data(2, 2, 2, 4, 5, 3, 4, 5))


def test_square_channels_catch_swapped_axes(solution):
    check(solution, *data(3, 2, 3, 6, 6, 3, 3, 3, padding=1), padding=1)


def test_input_gradient_by_finite_differences(solution):
    # independent of torch: d Σ(dout · conv(x)) / dx by central differences, forward written here
    dout, x, w = data(4, 1, 2, 5, 4, 2, 2, 2, stride=2, padding=1)

    def objective(xv):
        out = F.conv2d(torch.from_numpy(xv), torch.from_numpy(w), stride=2, padding=1).numpy()
        return float((out * dout).sum())

    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[i] = (objective(up) - objective(down)) / 2e-6
    dx = solution.conv2d_backward(dout, x, w, stride=2, padding=1)[0]
    assert_close(dx, numeric, rtol=1e-6, atol=1e-7, name="dx against central finite differences")


def test_float32_stays_float32(solution):
    dout, x, w = (a.astype(np.float32) for a in data(5, 2, 2, 6, 6, 2, 3, 3, padding=1))
    check(solution, dout, x, w, rtol=1e-4, atol=1e-4, dtype="float32", padding=1)


def test_geometry_of_the_variant(solution, variant):
    kw = {k: variant[k] for k in ("stride", "padding", "dilation") if k in variant} or dict(stride=2, padding=1)
    check(solution, *data(6, 2, 3, 11, 10, 4, 3, 3, **kw), **kw)


def test_wrong_upstream_shape_raises_value_error(solution):
    dout, x, w = data(7, 1, 2, 6, 6, 2, 3, 3)
    expect_value_error(lambda: solution.conv2d_backward(dout[:, :, :-1], x, w), "dout one row short of the output")
