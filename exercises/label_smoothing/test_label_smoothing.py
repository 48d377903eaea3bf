"""Hidden suite for label_smoothing: against F.cross_entropy(label_smoothing=ε) in float64, loss and gradient."""

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)
F64 = torch.float64


def reference(z, t, smoothing=0.1, ignore_index=-100, reduction="mean"):
    return F.cross_entropy(z.double(), t, label_smoothing=smoothing, ignore_index=ignore_index, reduction=reduction)


def soft_ce(z, q, keep):
    """Per-item cross-entropy against the target distribution q (classes on axis 1), 0 where not kept."""
    loss = -(q * torch.log_softmax(z.double(), dim=1)).sum(dim=1)
    return torch.where(keep, loss, torch.zeros_like(loss))


def reduce(per_item, keep, reduction, divide_by_all=False):
    if reduction == "none":
        return per_item
    if reduction == "sum":
        return per_item.sum()
    return per_item.mean() if divide_by_all else per_item.sum() / keep.sum()


def mistakes(z, t, smoothing=0.1, ignore_index=-100, reduction="mean"):
    """Wrong answers, each computed its own way (a different target distribution, or a different mask)."""
    eps, k = smoothing, z.shape[1]
    keep = t != ignore_index
    one_hot = F.one_hot(torch.where(keep, t, 0), k).movedim(-1, 1).double()
    right = soft_ce(z, (1 - eps) * one_hot + eps / k, keep)
    uniform_term = -torch.log_softmax(z.double(), dim=1).mean(dim=1)
    wrong = {
        "nll_not_scaled": reduce(soft_ce(z, one_hot + eps / k, keep), keep, reduction),
        "smoothing_on_ignored": reduce(right + eps * uniform_term * ~keep, keep, reduction),
        "mean_over_all_items": reduce(right, keep, reduction, divide_by_all=True),
    }
    if k > 1:
        wrong["spread_over_k_minus_1"] = reduce(soft_ce(z, (1 - eps) * one_hot + eps / (k - 1) * (1 - one_hot), keep),
                                                keep, reduction)
    if z.dim() > 2:
        log_last = torch.log_softmax(z.double(), dim=-1)
        nll = -log_last.gather(1, torch.where(keep, t, 0).unsqueeze(1)).squeeze(1)
        per = (1 - eps) * nll + eps * -log_last.mean(dim=1)
        wrong["classes_on_last_axis"] = reduce(torch.where(keep, per, torch.zeros_like(per)), keep, reduction)
    want = reference(z, t, smoothing, ignore_index, reduction)
    return {LABELS[m]: v for m, v in wrong.items() if not torch.allclose(v, want, rtol=1e-6, atol=1e-9)}


def data(seed, shape, scale=3.0, dtype=F64, ignore_index=-100, ignored=0.25):
    g = torch.Generator().manual_seed(seed)
    n, c, *rest = shape
    z = (scale * torch.randn(shape, generator=g)).to(dtype)
    t = torch.randint(0, c, (n, *rest), generator=g)
    t[torch.rand(t.shape, generator=g) < ignored] = ignore_index
    t.view(-1)[0] = 0 if ignore_index != 0 else 1  # at least one counted item
    return z, t


def check(solution, z, t, what, rtol=1e-10, atol=1e-12, **kw):
    """Loss and d loss / d logits against torch; returns the loss."""
    zs = z.clone().requires_grad_()
    got = solution.smoothed_cross_entropy(zs, t, **kw)
    want = reference(z, t, **kw)
    assert_close(got, want, rtol=rtol, atol=atol, name=f"loss {what}", mistakes=mistakes(z, t, **kw))
    zr = z.double().clone().requires_grad_()
    reference(zr, t, **kw).sum().backward()
    got.sum().backward()
    assert zs.grad is not None, f"{what}: no gradient reached the logits (keep the computation in torch)"
    assert_close(zs.grad, zr.grad, rtol=max(rtol, 1e-9), atol=max(atol, 1e-12), name=f"d loss / d logits {what}")
    return got


@pytest.mark.parametrize("shape,eps,reduction,ignore_index,seed", [
    ((8, 5), 0.1, "mean", -100, 0),
    ((6, 4), 0.3, "sum", -100, 1),
    ((7, 3), 0.2, "none", 1, 2),
    ((2, 6, 5), 0.1, "mean", -100, 3),
    ((3, 4, 2, 3), 0.15, "sum", 0, 4),
    ((5, 2), 0.4, "mean", -1, 5),
])
def test_matches_torch_label_smoothing(solution, shape, eps, reduction, ignore_index, seed):
    z, t = data(seed, shape, ignore_index=ignore_index)
    check(solution, z, t, f"(logits {shape}, ε={eps}, reduction={reduction!r}, ignore_index={ignore_index})",
          smoothing=eps, ignore_index=ignore_index, reduction=reduction)


def test_defaults_smooth_0_1_ignore_minus_100_and_average(solution):
    z, t = data(6, (9, 4), ignored=0.4)
    zs = z.clone().requires_grad_()
    got = solution.smoothed_cross_entropy(zs, t)
    assert_close(got, reference(z, t), rtol=1e-10, atol=1e-12,
                 name="loss with the defaults (smoothing=0.1, ignore_index=-100, mean)", mistakes=mistakes(z, t))


def test_sequence_logits_from_a_transposed_view(solution):
    # Language models produce (N, L, C); cross-entropy wants (N, C, L): a non-contiguous view.
    g = torch.Generator().manual_seed(7)
    z = (2.0 * torch.randn(3, 6, 5, generator=g, dtype=F64)).transpose(1, 2)
    t = torch.randint(0, 5, (3, 6), generator=g)
    t[0, 4:] = -100
    check(solution, z, t, "(a (N, L, C) tensor transposed to (N, C, L), padding at the end)", smoothing=0.2)


@pytest.mark.parametrize("eps", [0.0, 1.0])
def test_smoothing_zero_and_one(solution, eps):
    z, t = data(8, (6, 5))
    got = check(solution, z, t, f"(ε={eps})", smoothing=eps)
    if eps == 0.0:
        assert_close(got, F.cross_entropy(z, t), rtol=1e-10, atol=1e-12, name="ε = 0 must be plain cross-entropy")


def test_ignored_items_give_zero_loss_and_zero_gradient(solution):
    z, t = data(9, (10, 4), ignored=0.5)
    zs = z.clone().requires_grad_()
    per = solution.smoothed_cross_entropy(zs, t, smoothing=0.3, reduction="none")
    assert tuple(per.shape) == tuple(t.shape), f"reduction='none': shape {tuple(per.shape)}, expected {tuple(t.shape)}"
    ignored = t == -100
    leaked = float(per.detach()[ignored].abs().max())
    assert leaked == 0.0, f"{LABELS['smoothing_on_ignored']} (largest loss of an ignored item: {leaked:.3g})"
    per.sum().backward()
    leaked = float(zs.grad[ignored].abs().max())
    assert leaked == 0.0, f"ignored items must get a zero gradient (largest |grad| there: {leaked:.3g})"


def test_two_classes(solution):
    z, t = data(10, (12, 2), ignored=0.0)
    check(solution, z, t, "(K = 2, ε = 0.2: the wrong class gets ε/2, not ε)", smoothing=0.2, reduction="sum")


@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=["float32", "float64"])
def test_large_logits_stay_finite(solution, dtype):
    z = torch.tensor([[300.0, 0.0, -300.0], [1e4, -1e4, 0.0], [-50.0, 50.0, 0.0]], dtype=dtype)
    t = torch.tensor([0, 1, 2])
    zs = z.clone().requires_grad_()
    got = solution.smoothed_cross_entropy(zs, t, smoothing=0.1, reduction="none")
    tol = dict(rtol=1e-5, atol=1e-3) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-9)
    assert_close(got, reference(z, t, reduction="none"), **tol, name=f"per-item loss for logits up to ±1e4 ({dtype})",
                 mistakes={LABELS["log_of_softmax"]: torch.full((3,), float("inf"), dtype=F64)})
    got.sum().backward()
    zr = z.double().clone().requires_grad_()
    reference(zr, t, reduction="none").sum().backward()
    assert_close(zs.grad, zr.grad, **tol, name=f"gradient for logits up to ±1e4 ({dtype})")


def test_float32_in_float32_out(solution):
    z, t = data(11, (5, 7), dtype=torch.float32)
    got = solution.smoothed_cross_entropy(z, t, smoothing=0.1)
    assert_close(got, reference(z, t), rtol=1e-5, atol=1e-6, dtype="float32", name="float32 loss")


def test_batch_of_one_and_everything_ignored(solution):
    z, t = data(12, (1, 6), ignored=0.0)
    check(solution, z, t, "(a batch of one)", smoothing=0.25)
    got = solution.smoothed_cross_entropy(z, torch.tensor([-100]), smoothing=0.25)
    assert torch.isnan(got), f"mean over zero counted items must be nan (0/0, as torch), got {float(got)}"
    got = solution.smoothed_cross_entropy(z, torch.tensor([-100]), smoothing=0.25, reduction="sum")
    assert_close(got, torch.zeros((), dtype=F64), atol=0, name="summed loss when everything is ignored")


def test_language_model_shapes(solution, variant):
    n, c, length = variant.get("n", 2), variant.get("c", 11), variant.get("l", 7)
    z, t = data(13, (n, c, length), ignored=0.2)
    check(solution, z, t, f"(logits ({n}, {c}, {length}))", smoothing=0.1)


def test_bad_arguments_raise_value_error(solution):
    z, t = data(14, (4, 3))
    expect_value_error(lambda: solution.smoothed_cross_entropy(z, t, reduction="avg"), "reduction='avg'")
    expect_value_error(lambda: solution.smoothed_cross_entropy(z, t, smoothing=1.5), "smoothing=1.5")
    expect_value_error(lambda: solution.smoothed_cross_entropy(z, t, smoothing=-0.1), "smoothing=-0.1")
