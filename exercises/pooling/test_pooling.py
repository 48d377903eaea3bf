"""Hidden suite for pooling: NumPy max/avg pooling and their gradients against torch in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=grad)


def torch_pool(kind, x, dout, k, s=None, p=0, **kw):
    """(out, dx) from torch in float64; dout=None skips the backward."""
    xt = t64(x, grad=True)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = pool(xt, k, s, p, **kw)
    if dout is None:
        return out.detach().numpy(), None
    out.backward(t64(dout))
    return out.detach().numpy(), xt.grad.numpy()


def window_grad(x, dout, k, s, p, pick):
    """Max-pool gradient with ties sent to the 'first', the 'last' or 'all' maxima of each window (unfold/fold)."""
    (kh, kw), (sh, sw), (ph, pw) = pair(k), pair(s or k), pair(p)
    xt = F.pad(t64(x), (pw, pw, ph, ph), value=-torch.inf)
    n, c, hp, wp = xt.shape
    cols = F.unfold(xt.reshape(n * c, 1, hp, wp), (kh, kw), stride=(sh, sw))  # (n·c, kh·kw, L)
    top = cols.max(dim=1, keepdim=True).values
    if pick == "all":
        chosen = (cols == top).double()
    else:
        idx = cols.argmax(dim=1) if pick == "first" else kh * kw - 1 - cols.flip(1).argmax(dim=1)
        chosen = F.one_hot(idx, kh * kw).transpose(1, 2).double()
    grads = chosen * t64(dout).reshape(n * c, 1, -1)
    dx = F.fold(grads, (hp, wp), (kh, kw), stride=(sh, sw)).reshape(n, c, hp, wp)
    return dx[:, :, ph:hp - ph, pw:wp - pw].numpy()


def forward_mistakes(kind, x, k, s, p, **kw):
    h, w = x.shape[2:]
    wrong = {}
    if s is None:
        wrong["stride_defaults_to_one"] = torch_pool(kind, x, None, k, 1, p, **kw)[0]
    (kh, kw_), (sh, sw), (ph, pw) = pair(k), pair(s or k), pair(p)
    if h < w:
        wrong["square_input_assumed"] = torch_pool(kind, x, None, k, s, p, **kw)[0][..., :(h + 2 * pw - kw_) // sw + 1]
    if kind == "max" and (ph or pw):
        padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        wrong["max_padding_zero"] = torch_pool("max", padded, None, k, s, 0)[0]
    if kind == "avg" and (ph or pw):
        other = not kw.get("count_include_pad", True)
        wrong["padding_always_counted" if other else "padding_never_counted"] = \
            torch_pool("avg", x, None, k, s, p, count_include_pad=other)[0]
    return {LABELS[m]: v for m, v in wrong.items()}


def data(seed, shape, ties=False, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape) if ties else rng.standard_normal(shape)
    return x.astype(dtype)


def forward(solution, kind, x, *args, **kw):
    before = x.copy()
    out, cache = getattr(solution, f"{kind}_pool2d")(x, *args, **kw)
    assert np.array_equal(x, before), "the input x was modified"
    return out, cache


def check(solution, kind, x, k, s=None, p=0, seed=0, rtol=1e-12, atol=1e-12, **kw):
    options = "".join(f", {a}={b}" for a, b in kw.items())
    what = f"{kind}_pool2d(x {x.shape}, kernel={k}, stride={s}, padding={p}{options})"
    want_out, _ = torch_pool(kind, x, None, k, s, p, **kw)
    dout = np.random.default_rng(seed + 1000).standard_normal(want_out.shape)
    want_out, want_dx = torch_pool(kind, x, dout, k, s, p, **kw)
    out, cache = forward(solution, kind, x, k, s, p, **kw)
    assert_close(out, want_out, rtol=rtol, atol=atol, name=what, mistakes=forward_mistakes(kind, x, k, s, p, **kw))
    dx = getattr(solution, f"{kind}_pool2d_backward")(dout, cache)
    wrong = {}
    if kind == "max":
        wrong = {LABELS["ties_all_get_gradient"]: window_grad(x, dout, k, s, p, "all"),
                 LABELS["ties_last_wins"]: window_grad(x, dout, k, s, p, "last")}
    assert_close(dx, want_dx, rtol=rtol, atol=atol, name=f"gradient of {what}",
                 mistakes={m: v for m, v in wrong.items() if not np.allclose(v, want_dx)})


GEOMETRIES = [((2, 3, 8, 8), 2, None, 0), ((1, 2, 7, 9), 3, 2, 1), ((2, 1, 6, 10), (2, 3), (2, 1), (1, 0)),
              ((1, 2, 5, 5), 3, 1, 1), ((3, 2, 9, 4), (3, 2), None, (1, 1)), ((1, 1, 4, 11), 2, (1, 3), 0)]


@pytest.mark.parametrize("shape,k,s,p", GEOMETRIES)
def test_max_pool_matches_torch(solution, shape, k, s, p):
    check(solution, "max", data(sum(shape), shape), k, s, p)


@pytest.mark.parametrize("shape,k,s,p", GEOMETRIES)
@pytest.mark.parametrize("include", [True, False], ids=["count_pad", "skip_pad"])
def test_avg_pool_matches_torch(solution, shape, k, s, p, include):
    check(solution, "avg", data(sum(shape) + 1, shape), k, s, p, count_include_pad=include)


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 1, 1), (2, 1, 0), ((3, 2), (1, 2), (1, 1))])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(solution, k, s, p):
    x = data(7, (2, 2, 6, 7), ties=True)  # values in {-2, …, 2}: most windows hold several equal maxima
    check(solution, "max", x, k, s, p)


def test_defaults(solution):
    x = data(8, (2, 3, 6, 8))
    check(solution, "max", x, 2)
    check(solution, "avg", x, (3, 2))


def test_max_pool_padding_never_wins(solution):
    x = -1.0 - np.abs(data(9, (1, 2, 5, 6)))  # all negative: a zero pad would be the max at every border
    check(solution, "max", x, 3, 2, 1)


def test_overlapping_windows_add_their_gradients(solution):
    x = data(10, (1, 1, 6, 6))
    for kind, kw in (("max", {}), ("avg", {"count_include_pad": False})):
        out, cache = forward(solution, kind, x, 3, 1, 1, **kw)
        total = float(np.sum(getattr(solution, f"{kind}_pool2d_backward")(np.ones_like(out), cache)))
        # every window passes on exactly its own gradient (1 here), so the input gradient sums to the window count
        if total < out.size - 1e-9:
            raise AssertionError(f"{kind}: the input gradient sums to {total:g}, expected {out.size} (one per window)"
                                 f"\n  this looks like a known mistake: {LABELS['overlap_overwritten']}")
        check(solution, kind, x, 3, 1, 1, **kw)


def test_float32_stays_float32(solution):
    x = data(11, (2, 2, 6, 6), dtype=np.float32)
    for kind in ("max", "avg"):
        out, _ = forward(solution, kind, x, 2)
        assert_close(out, torch_pool(kind, x, None, 2)[0], rtol=1e-6, atol=1e-7, dtype="float32",
                     name=f"{kind}_pool2d of float32 input")


def test_window_of_the_variant(solution, variant):
    k, s, p = variant.get("kernel", 2), variant.get("stride", 1), variant.get("padding", 1)
    x = data(12, (2, 3, 9, 7), ties=variant.get("ties", False))
    check(solution, "max", x, k, s, p)
    check(solution, "avg", x, k, s, p)


def test_bad_geometry_raises_value_error(solution):
    x = data(13, (1, 1, 4, 4))
    for kind in ("max", "avg"):
        fn = getattr(solution, f"{kind}_pool2d")
        expect_value_error(lambda: fn(x, 2, 2, 2), f"{kind}_pool2d with padding 2 > kernel 2 // 2")
        expect_value_error(lambda: fn(x, 5), f"{kind}_pool2d with a 5×5 window on a 4×4 input")
