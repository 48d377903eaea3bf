"""Hidden suite for conv2d: NumPy cross-correlation against torch.nn.functional.conv2d (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, mistake_labels


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def torch_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    out = F.conv2d(torch.from_numpy(np.asarray(x, np.float64)), torch.from_numpy(np.asarray(w, np.float64)),
                   None if b is None else torch.from_numpy(np.asarray(b, np.float64)),
                   stride=stride, padding=padding, dilation=dilation, groups=groups)
    return out.numpy()


LABELS = mistake_labels(__file__)


def mistakes(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """The classic wrong answers that torch can compute, by mistake id (those that do not exist are left out)."""
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    good = torch_ref(x, w, b, **kw)
    found = {"kernel_flipped": lambda: torch_ref(x, w[:, :, ::-1, ::-1].copy(), b, **kw),
             "output_size_off_by_one": lambda: good[..., :-1, :-1],
             "padding_ignored": lambda: torch_ref(x, w, b, **{**kw, "padding": 0}),
             "stride_ignored": lambda: torch_ref(x, w, b, **{**kw, "stride": 1}),
             "dilation_ignored": lambda: torch_ref(x, w, b, **{**kw, "dilation": 1}),
             "bias_ignored": lambda: None if b is None else torch_ref(x, w, None, **kw),
             "groups_interleaved": lambda: None if groups == 1 else torch_ref(
                 x.reshape(x.shape[0], x.shape[1] // groups, groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape),
                 w, b, **kw)}
    out = {}
    for mistake_id, compute in found.items():
        try:
            value = compute()
        except RuntimeError:  # the wrong geometry does not even exist for these sizes
            continue
        if value is not None:
            out[LABELS[mistake_id]] = value
    return out


def data(seed, n, c, h, wd, c_out, kh, kw, groups=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((c_out, c // groups, kh, kw)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    return x, w, b


def check(solution, x, w, b=None, rtol=1e-10, atol=1e-10, what="conv2d output", **kw):
    got = solution.conv2d(x, w, b, **kw)
    expected = torch_ref(x, w, b, **kw)
    args = ", ".join(f"{k}={v}" for k, v in kw.items())
    assert_close(got, expected, rtol=rtol, atol=atol, name=f"{what} (x{x.shape}, w{w.shape}, {args})",
                 mistakes=mistakes(x, w, b, **kw))
    return got


def test_single_channel_is_cross_correlation_not_convolution(solution):
    x = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)
    w = np.array([[[[1.0, 2.0], [0.0, -1.0]]]])  # asymmetric: flipping it changes the result
    got = check(solution, x, w, what="2×2 kernel on a 5×5 ramp")
    assert got[0, 0, 0, 0] == pytest.approx(1 * 0 + 2 * 1 + 0 * 5 - 1 * 6), \
        f"out[0,0,0,0] = {got[0, 0, 0, 0]}, expected w·x[0:2, 0:2] = -4 (weight[p, q] multiplies x[p, q])"


@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 7, 6, 4, 3, 3), dict()),
    ((1, 2, 9, 9, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 4, 8, 11, 6, 3, 2), dict(stride=(2, 3), padding=(1, 0))),
    ((1, 3, 10, 10, 2, 3, 3), dict(dilation=2, padding=2)),
    ((3, 1, 6, 5, 5, 1, 1), dict()),
    ((1, 2, 12, 9, 3, 5, 3), dict(stride=3, padding=(2, 1), dilation=(1, 2))),
])
def test_matches_torch_conv2d(solution, shape, kw):
    n, c, h, wd, c_out, kh, kwid = shape
    x, w, b = data(sum(shape), n, c, h, wd, c_out, kh, kwid)
    check(solution, x, w, b, **kw)


@pytest.mark.parametrize("h,k,s,p,d", [(7, 3, 2, 0, 1), (8, 3, 2, 1, 1), (10, 3, 3, 0, 2), (5, 5, 1, 2, 1),
                                       (6, 2, 4, 0, 1), (9, 4, 2, 3, 2)])
def test_output_size_formula(solution, h, k, s, p, d):
    x, w, _ = data(h * k, 1, 1, h, h, 1, k, k)
    got = np.asarray(solution.conv2d(x, w, stride=s, padding=p, dilation=d))
    size = (h + 2 * p - d * (k - 1) - 1) // s + 1
    assert got.shape == (1, 1, size, size), (
        f"H={h}, k={k}, stride={s}, padding={p}, dilation={d}: output shape {got.shape}, expected (1, 1, {size}, "
        f"{size}) = (H + 2p − d·(k−1) − 1)//s + 1")
    check(solution, x, w, stride=s, padding=p, dilation=d)


def test_padding_adds_zeros_on_every_side(solution):
    x = np.ones((1, 1, 3, 4))
    w = np.ones((1, 1, 3, 3))
    got = check(solution, x, w, padding=1, what="3×3 box filter on ones with padding=1")
    assert got[0, 0, 0, 0] == pytest.approx(4.0) and got[0, 0, 1, 1] == pytest.approx(9.0), \
        f"corner = {got[0, 0, 0, 0]} (expected 4: 5 of the 9 taps are padding zeros), centre = {got[0, 0, 1, 1]} " \
        "(expected 9)"


def test_stride_skips_positions(solution):
    x, w, b = data(40, 2, 2, 9, 8, 3, 3, 3)
    check(solution, x, w, b, stride=(2, 3), what="strided output")


def test_dilation_spreads_the_kernel_taps(solution):
    x, w, b = data(41, 1, 2, 11, 10, 2, 3, 2)
    check(solution, x, w, b, dilation=(3, 2), what="dilated output")


@pytest.mark.parametrize("c,c_out,groups", [(4, 6, 2), (6, 6, 6), (6, 3, 3), (3, 6, 3)])
def test_groups_connect_each_output_group_to_its_input_group(solution, c, c_out, groups):
    x, w, b = data(50 + groups, 2, c, 6, 7, c_out, 3, 3, groups=groups)
    check(solution, x, w, b, padding=1, groups=groups, what=f"grouped conv (groups={groups})")


def test_bias_is_added_per_output_channel(solution):
    x = np.zeros((2, 2, 4, 4))
    w = np.ones((3, 2, 2, 2))
    b = np.array([1.0, -2.0, 0.5])
    got = np.asarray(solution.conv2d(x, w, b))
    expected = np.broadcast_to(b.reshape(1, 3, 1, 1), (2, 3, 3, 3))
    assert_close(got, expected, rtol=0, atol=1e-12, name="output of a zero input with bias (must equal b[o])")


def test_float32_stays_float32(solution):
    x, w, b = data(60, 2, 3, 8, 8, 4, 3, 3, dtype=np.float32)
    got = solution.conv2d(x, w, b, padding=1, stride=2)
    assert_close(got, torch_ref(x, w, b, padding=1, stride=2), rtol=1e-5, atol=1e-5, dtype="float32",
                 name="float32 output")


def test_kernel_covering_the_whole_padded_input(solution):
    x, w, b = data(61, 1, 2, 3, 4, 2, 5, 6)
    check(solution, x, w, b, padding=1, what="kernel as large as the padded input (1×1 output)")


def test_inputs_are_not_modified(solution):
    x, w, b = data(62, 1, 2, 5, 5, 2, 3, 3)
    x0, w0, b0 = x.copy(), w.copy(), b.copy()
    solution.conv2d(x, w, b, padding=1)
    assert np.array_equal(x, x0) and np.array_equal(w, w0) and np.array_equal(b, b0), \
        "conv2d modified its input arrays in place"


def test_bad_shapes_raise_value_error(solution):
    x = np.zeros((1, 4, 5, 5))
    expect_value_error(lambda: solution.conv2d(x, np.zeros((2, 3, 3, 3))), "4 input channels, weight expects 3")
    expect_value_error(lambda: solution.conv2d(x, np.zeros((3, 2, 3, 3)), groups=2),
                       "3 output channels with groups=2")
    expect_value_error(lambda: solution.conv2d(x, np.zeros((2, 4, 7, 7))), "7×7 kernel on a 5×5 input, no padding")


def test_variant_geometry(solution, variant):
    # A review may ask another stride, dilation or grouping; the core run: stride 1, padding 1, 4 → 6 channels.
    kw = {"stride": 1, "padding": 1, "dilation": 1, "groups": 1}
    kw.update({key: variant[key] for key in kw if key in variant})
    c, c_out = variant.get("c", 4), variant.get("c_out", 6)
    x, w, b = data(41, 2, c, 9, 8, c_out, 3, 3, groups=kw["groups"])
    check(solution, x, w, b, what="conv2d output", **kw)


# --- defaults, layouts, degenerate sizes ---------------------------------------------------------------------

def test_defaults_without_bias(solution):
    x, w, _ = data(70, 1, 3, 6, 5, 2, 3, 2)
    got = solution.conv2d(x, w)
    assert_close(got, torch_ref(x, w), rtol=1e-10, atol=1e-10, name="conv2d(x, w) with every default",
                 mistakes=mistakes(x, w))


def test_non_contiguous_inputs(solution):
    x, w, b = data(71, 2, 3, 7, 6, 4, 3, 3)
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)   # same values, Fortran-like strides
    ws = np.repeat(w, 2, axis=-1)[..., ::2]                                     # same values, strided view
    check(solution, xt, ws, b, stride=(2, 1), padding=(1, 0), what="conv2d of transposed / strided arrays")


def test_groups_read_contiguous_channel_blocks(solution):
    x, w, b = data(72, 2, 6, 5, 5, 4, 3, 3, groups=2)
    check(solution, x, w, b, groups=2, padding=1, what="groups=2: output group g reads input channels of block g")


@pytest.mark.parametrize("groups,c_out", [(2, 4), (4, 4)], ids=["grouped", "depthwise"])
def test_groups_with_stride_dilation_and_padding(solution, groups, c_out):
    # The grouped path must honour every geometry argument, not only padding.
    x, w, b = data(74 + groups, 2, 4, 9, 10, c_out, 3, 2, groups=groups)
    check(solution, x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 3), groups=groups,
          what=f"groups={groups} with stride, padding and dilation")


def test_one_by_one_kernel_with_stride_and_padding(solution):
    # A 1×1 kernel still strides over the zero-padded input (a shortcut that skips either is wrong).
    x, w, b = data(76, 2, 3, 5, 6, 2, 1, 1)
    check(solution, x, w, b, stride=2, padding=1, what="1×1 kernel, stride 2, padding 1")
    check(solution, x, w, b, stride=(1, 3), padding=(2, 0), dilation=2, what="1×1 kernel, stride (1, 3), padding (2, 0)")


@pytest.mark.parametrize("x_dtype,w_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_mixed_dtypes_give_the_result_type(solution, x_dtype, w_dtype):
    x, w, b = data(77, 1, 2, 6, 6, 3, 3, 3)
    x, w = x.astype(x_dtype), w.astype(w_dtype)
    got = solution.conv2d(x, w, b.astype(np.float64), padding=1)
    assert_close(got, torch_ref(x, w, b, padding=1), rtol=1e-10, atol=1e-10, dtype="float64",
                 name=f"x {np.dtype(x_dtype).name}, w {np.dtype(w_dtype).name}: float64 output, float64 accuracy")


def test_one_by_one_kernel_and_single_pixel(solution):
    x, w, b = data(73, 1, 2, 1, 1, 3, 1, 1)
    check(solution, x, w, b, what="1×1 kernel on a 1×1 input")
