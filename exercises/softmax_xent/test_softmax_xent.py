"""Hidden suite for softmax_xent: NumPy softmax and cross-entropy (loss and gradient) against float64 torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)


def ref_softmax(z, axis=-1):
    return torch.softmax(torch.from_numpy(np.asarray(z, np.float64)), dim=axis).numpy()


def naive_softmax(z, axis=-1):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(z, np.float64))
        return e / e.sum(axis=axis, keepdims=True)


def naive_mean_ce(logits, labels):
    """The mean loss of a log-softmax computed without the max shift (inf once exp overflows)."""
    z = np.asarray(logits, np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return np.asarray(-log_p[np.arange(len(labels)), labels].mean())


def ref_ce(logits, labels, ignore_index=-100, reduction="mean"):
    """(loss, d loss / d logits) from torch in float64."""
    z = torch.tensor(np.asarray(logits, np.float64), requires_grad=True)
    loss = F.cross_entropy(z, torch.from_numpy(np.asarray(labels, np.int64)), ignore_index=ignore_index,
                           reduction=reduction)
    loss.backward()
    return np.asarray(loss.item()), z.grad.numpy()


def grad_mistakes(logits, labels, ignore_index=-100):
    """Wrong mean-reduction gradients, keyed by label; each differs from the right one on these inputs."""
    _, grad = ref_ce(logits, labels, ignore_index)
    kept = int(np.sum(np.asarray(labels) != ignore_index))
    wrong = {LABELS["grad_not_averaged"]: grad * kept}
    if kept != len(labels):
        wrong[LABELS["mean_over_all_rows"]] = grad * kept / len(labels)
    return wrong if kept > 1 else {}


def loss_mistakes(logits, labels, ignore_index=-100):
    loss, _ = ref_ce(logits, labels, ignore_index)
    kept = int(np.sum(np.asarray(labels) != ignore_index))
    return {LABELS["mean_over_all_rows"]: loss * kept / len(labels)} if 0 < kept < len(labels) else {}


def data(seed, n, c, scale=3.0, dtype=np.float64, ignore_index=-100, ignored=0.25):
    rng = np.random.default_rng(seed)
    logits = (scale * rng.standard_normal((n, c))).astype(dtype)
    labels = rng.integers(0, c, n)
    labels[rng.random(n) < ignored] = ignore_index
    labels[0] = 0 if ignore_index != 0 else 1  # at least one counted row
    return logits, labels


def call_ce(solution, logits, labels, **kw):
    before = logits.copy()
    out = solution.cross_entropy(logits, labels, **kw)
    assert np.array_equal(logits, before), LABELS["input_modified"]
    assert isinstance(out, tuple) and len(out) == 2, "cross_entropy must return a pair (loss, grad)"
    loss, grad = out
    return np.asarray(float(loss)), grad


# --- softmax ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis,seed", [((7,), -1, 0), ((4, 6), -1, 1), ((4, 6), 0, 2), ((2, 3, 5), 1, 3),
                                             ((3, 1), 0, 4), ((1, 1), -1, 5)])
def test_softmax_matches_torch(solution, shape, axis, seed):
    z = 4.0 * np.random.default_rng(seed).standard_normal(shape)
    before = z.copy()
    got = solution.softmax(z, axis=axis)
    assert np.array_equal(z, before), LABELS["input_modified"]
    wrong = {} if axis in (-1, len(shape) - 1) else {LABELS["softmax_last_axis_only"]: ref_softmax(z, -1)}
    assert_close(got, ref_softmax(z, axis), rtol=1e-12, atol=1e-15, name=f"softmax(z{shape}, axis={axis})",
                 mistakes=wrong)


def test_softmax_default_axis_is_last(solution):
    z = np.random.default_rng(6).standard_normal((3, 4))
    assert_close(solution.softmax(z), ref_softmax(z, -1), rtol=1e-12, atol=1e-15, name="softmax(z) (default axis)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_softmax_large_logits_do_not_overflow(solution, dtype):
    z = np.array([[1000.0, 999.0, 998.0], [-1e4, 0.0, 1e4], [88.0, 89.0, 90.0], [-1e4, -1e4 + 1, -1e4 + 2]],
                 dtype=dtype)
    got = solution.softmax(z, axis=1)
    # float32 spacing at 1e4 is ~1e-3, so exp(z − logsumexp) may be off by that much: both are fair
    assert_close(got, ref_softmax(z, 1), rtol=3e-3 if dtype == np.float32 else 1e-12, atol=1e-7,
                 name=f"softmax of logits up to ±1e4 ({np.dtype(dtype).name})",
                 mistakes={LABELS["no_max_shift"]: naive_softmax(z, 1)})


def test_softmax_keeps_float32_and_reads_strided_views(solution):
    base = np.random.default_rng(7).standard_normal((5, 8)).astype(np.float32)
    view = base.T[::2]  # (4, 5), not contiguous
    got = solution.softmax(view, axis=0)
    assert_close(got, ref_softmax(view, 0), rtol=1e-5, atol=1e-7, dtype="float32",
                 name="softmax of a transposed, strided float32 view along axis 0",
                 mistakes={LABELS["softmax_last_axis_only"]: ref_softmax(view, -1)})


# --- cross-entropy ----------------------------------------------------------------------------

@pytest.mark.parametrize("n,c,reduction,ignore_index,seed", [
    (8, 5, "mean", -100, 0),
    (6, 3, "sum", -100, 1),
    (9, 4, "mean", 2, 2),
    (5, 7, "sum", 0, 3),
    (12, 2, "mean", -1, 4),
])
def test_cross_entropy_matches_torch(solution, n, c, reduction, ignore_index, seed):
    logits, labels = data(seed, n, c, ignore_index=ignore_index)
    loss, grad = call_ce(solution, logits, labels, ignore_index=ignore_index, reduction=reduction)
    want_loss, want_grad = ref_ce(logits, labels, ignore_index, reduction)
    what = f"(N={n}, C={c}, reduction={reduction!r}, ignore_index={ignore_index})"
    mean = reduction == "mean"
    assert_close(loss, want_loss, rtol=1e-10, atol=1e-12, name=f"loss {what}",
                 mistakes=loss_mistakes(logits, labels, ignore_index) if mean else {})
    wrong = grad_mistakes(logits, labels, ignore_index) if mean else {}
    assert_close(grad, want_grad, rtol=1e-10, atol=1e-12, name=f"d loss / d logits {what}", mistakes=wrong)


def test_vocabulary_and_padding_share(solution, variant):
    n, c = variant.get("n", 16), variant.get("c", 50)
    logits, labels = data(13, n, c, ignored=variant.get("ignored", 0.3))
    loss, grad = call_ce(solution, logits, labels)
    want_loss, want_grad = ref_ce(logits, labels)
    assert_close(loss, want_loss, rtol=1e-10, atol=1e-12, name=f"loss (N={n}, C={c})",
                 mistakes=loss_mistakes(logits, labels))
    assert_close(grad, want_grad, rtol=1e-10, atol=1e-12, name=f"gradient (N={n}, C={c})",
                 mistakes=grad_mistakes(logits, labels))


def test_defaults_ignore_minus_100_and_average(solution):
    logits, labels = data(5, 10, 4, ignored=0.4)
    loss, grad = call_ce(solution, logits, labels)
    want_loss, want_grad = ref_ce(logits, labels)
    assert_close(loss, want_loss, rtol=1e-10, atol=1e-12, name="loss with the defaults (ignore_index=-100, mean)",
                 mistakes=loss_mistakes(logits, labels))
    assert_close(grad, want_grad, rtol=1e-10, atol=1e-12, name="gradient with the defaults",
                 mistakes=grad_mistakes(logits, labels))


@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_ignored_rows_get_exactly_zero_gradient(solution, ignore_index):
    logits, labels = data(8, 7, 3, ignore_index=ignore_index, ignored=0.5)
    _, grad = call_ce(solution, logits, labels, ignore_index=ignore_index)
    leaked = np.abs(np.asarray(grad)[labels == ignore_index]).max()
    assert leaked == 0.0, f"{LABELS['ignored_rows_leak']} (largest |grad| in an ignored row: {leaked:.3g})"


def test_gradient_is_softmax_minus_one_hot_per_counted_row(solution):
    logits, labels = data(9, 4, 6, ignored=0.0)
    _, grad = call_ce(solution, logits, labels, reduction="sum")
    expected = ref_softmax(logits, 1) - np.eye(6)[labels]
    assert_close(grad, expected, rtol=1e-10, atol=1e-12, name="sum-reduced gradient (must be softmax − one-hot)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_large_logits_give_finite_loss_and_gradient(solution, dtype):
    logits = np.array([[1e4, 0.0, -1e4], [1000.0, 999.0, 998.0], [50.0, -50.0, 0.0]], dtype=dtype)
    labels = np.array([0, 2, 1])
    loss, grad = call_ce(solution, logits, labels)
    want_loss, want_grad = ref_ce(logits, labels)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert_close(loss, want_loss, **tol, name=f"loss for logits up to ±1e4 ({np.dtype(dtype).name})",
                 mistakes={LABELS["no_max_shift"]: naive_mean_ce(logits, labels)})
    assert_close(grad, want_grad, **tol, name=f"gradient for logits up to ±1e4 ({np.dtype(dtype).name})")


def test_true_class_far_below_the_max_costs_the_gap(solution):
    # p(label) = e^-1000 underflows to 0 in float64, yet log p = -1000 is perfectly representable.
    logits = np.array([[0.0, -1000.0], [0.0, -1.0]])
    labels = np.array([1, 0])
    loss, grad = call_ce(solution, logits, labels, reduction="sum")
    want_loss, want_grad = ref_ce(logits, labels, reduction="sum")
    assert_close(loss, want_loss, rtol=1e-10, atol=1e-12, name="summed loss when the true class is 1000 below the max",
                 mistakes={LABELS["log_of_softmax"]: np.asarray(np.inf)})
    assert_close(grad, want_grad, rtol=1e-10, atol=1e-12, name="gradient when the true class is 1000 below the max")


def test_float32_logits_give_a_float32_gradient(solution):
    logits, labels = data(10, 6, 5, dtype=np.float32)
    loss, grad = call_ce(solution, logits, labels)
    want_loss, want_grad = ref_ce(logits, labels)
    assert_close(loss, want_loss, rtol=1e-5, atol=1e-6, name="float32 loss")
    assert_close(grad, want_grad, rtol=1e-4, atol=1e-6, dtype="float32", name="float32 gradient")


def test_single_row_and_single_class(solution):
    logits, labels = np.array([[2.5, -1.0, 0.5]]), np.array([2])
    loss, grad = call_ce(solution, logits, labels)
    want_loss, want_grad = ref_ce(logits, labels)
    assert_close(loss, want_loss, rtol=1e-12, atol=1e-12, name="loss of a batch of one")
    assert_close(grad, want_grad, rtol=1e-12, atol=1e-12, name="gradient of a batch of one")
    loss, grad = call_ce(solution, np.array([[3.0], [-7.0]]), np.array([0, 0]))
    assert_close(loss, np.asarray(0.0), atol=1e-12, name="loss with one class (always right: 0)")
    assert_close(grad, np.zeros((2, 1)), atol=1e-12, name="gradient with one class (0)")


def test_every_row_ignored(solution):
    logits = np.random.default_rng(11).standard_normal((3, 4))
    labels = np.full(3, -100)
    loss, grad = call_ce(solution, logits, labels)
    assert np.isnan(loss), f"mean over zero counted rows must be nan (0/0, as torch), got {float(loss)}"
    assert_close(grad, np.zeros((3, 4)), atol=0, name="gradient when every row is ignored (all zero)")
    loss, grad = call_ce(solution, logits, labels, reduction="sum")
    assert_close(loss, np.asarray(0.0), atol=0, name="summed loss when every row is ignored")


def test_bad_arguments_raise_value_error(solution):
    logits, labels = data(12, 4, 3)
    expect_value_error(lambda: solution.cross_entropy(logits, labels, reduction="avg"), "reduction='avg'")
    expect_value_error(lambda: solution.cross_entropy(logits, np.array([0, 1, 3, 2])),
                       "label 3 with only 3 classes")
