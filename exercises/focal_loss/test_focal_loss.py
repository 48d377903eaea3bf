"""Hidden suite for focal_loss: binary and multi-class focal loss against float64 references written here."""

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, known_mistake, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


WRONG_REDUCTION = {"sum_instead_of_mean": "sum", "mean_instead_of_sum": "mean"}


def reduce(loss, reduction):
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


def ref_binary(z, t, alpha=0.25, gamma=2.0, reduction="mean", mistake=None):
    z, t = z.double(), t.double()
    ce = F.softplus(z) - z * t  # = −log p_t, stable
    p = z if mistake == "missing_sigmoid" else torch.sigmoid(z)
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce if mistake == "gamma_ignored" else (p_t if mistake == "gamma_on_p" else 1 - p_t) ** gamma * ce
    if alpha is not None and mistake != "alpha_ignored" and not (mistake == "alpha_zero_treated_as_none" and not alpha):
        loss = (alpha if mistake == "same_alpha_both_classes" else alpha * t + (1 - alpha) * (1 - t)) * loss
    return reduce(loss, WRONG_REDUCTION.get(mistake, reduction) if reduction != "none" else reduction)
    return reduce(loss, reduction)


def ref_multi(z, y, alpha=None, gamma=2.0, reduction="mean", mistake=None):
    z = z.double()
    log_p = torch.log_softmax(z, dim=0 if mistake == "softmax_over_batch" else 1)
    lp_t = log_p.gather(1, y[:, None]).squeeze(1)
    p_t = lp_t.exp()
    loss = -(lp_t if mistake == "gamma_ignored" else
             (p_t if mistake == "gamma_on_p" else 1 - p_t) ** gamma * lp_t)
    if alpha is not None and mistake != "alpha_ignored":
        a = torch.as_tensor(alpha, dtype=F64)
        loss = a[log_p.argmax(1) if mistake == "alpha_by_predicted_class" else y] * loss
    return reduce(loss, WRONG_REDUCTION.get(mistake, reduction) if reduction != "none" else reduction)


def bin_mistakes(z, t, labels=("missing_sigmoid", "same_alpha_both_classes", "gamma_on_p", "sum_instead_of_mean",
                               "mean_instead_of_sum", "alpha_ignored", "gamma_ignored", "alpha_zero_treated_as_none"),
                 **kw):
    return {LABELS[m]: ref_binary(z, t, mistake=m, **kw) for m in labels}


def multi_mistakes(z, y, labels=("gamma_on_p", "sum_instead_of_mean", "mean_instead_of_sum", "alpha_ignored",
                                 "gamma_ignored", "softmax_over_batch", "alpha_by_predicted_class"), **kw):
    return {LABELS[m]: ref_multi(z, y, mistake=m, **kw) for m in labels}


def bin_data(seed, shape, scale=2.0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    z = (scale * torch.randn(shape, generator=g)).to(dtype)
    t = (torch.rand(shape, generator=g) < 0.3).to(dtype)
    return z, t


def finite(x):
    return bool(torch.isfinite(x).all())


def alpha_rtol(alpha, tight):
    """A correct solution may round alpha to float32 (torch.tensor(list), torch.where with a Python float)."""
    return tight if alpha is None else max(tight, 1e-6)


# --- binary -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,alpha,gamma,reduction,seed", [
    ((17,), 0.25, 2.0, "mean", 0),
    ((4, 5), 0.25, 2.0, "none", 1),
    ((3, 2, 7), 0.6, 1.0, "sum", 2),
    ((9,), None, 3.0, "mean", 3),
    ((2, 8), 0.25, 0.5, "none", 4),
])
def test_binary_matches_float64_reference(solution, shape, alpha, gamma, reduction, seed):
    z, t = bin_data(seed, shape)
    got = solution.binary_focal_loss(z, t, alpha=alpha, gamma=gamma, reduction=reduction)
    kw = dict(alpha=alpha, gamma=gamma, reduction=reduction)
    assert_close(got, ref_binary(z, t, **kw), rtol=alpha_rtol(alpha, 1e-9), atol=1e-12, dtype="float64",
                 name=f"binary focal loss (shape {shape}, alpha={alpha}, gamma={gamma}, reduction={reduction!r})",
                 mistakes=bin_mistakes(z, t, **kw))


def test_binary_gamma_zero_without_alpha_is_bce(solution):
    z, t = bin_data(5, (6, 4))
    got = solution.binary_focal_loss(z, t, alpha=None, gamma=0.0)
    assert_close(got, F.binary_cross_entropy_with_logits(z, t), rtol=1e-9, atol=1e-12,
                 name="binary focal loss with gamma=0, alpha=None (must equal BCE with logits)",
                 mistakes=bin_mistakes(z, t, alpha=None, gamma=0.0))


def test_binary_modulating_factor_uses_one_minus_p_t(solution):
    # Confident and right (p_t = σ(3) ≈ 0.95): the loss is cross-entropy times (1 − p_t)^γ ≈ 0.0023, tiny.
    z = torch.tensor([3.0, -3.0, 0.5], dtype=F64)
    t = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    got = solution.binary_focal_loss(z, t, alpha=None, gamma=2.0, reduction="none")
    assert_close(got, ref_binary(z, t, alpha=None, reduction="none"), rtol=1e-9, atol=1e-12,
                 name="per-element loss for an easy positive, an easy negative and a hard negative",
                 mistakes=bin_mistakes(z, t, alpha=None, reduction="none"))


def test_binary_alpha_for_positives_one_minus_alpha_for_negatives(solution):
    # A positive with logit 1 and a negative with logit −1 have the same p_t: their losses differ by α : (1 − α).
    z = torch.tensor([1.0, -1.0], dtype=F64)
    t = torch.tensor([1.0, 0.0], dtype=F64)
    got = solution.binary_focal_loss(z, t, alpha=0.25, gamma=2.0, reduction="none")
    assert_close(got, ref_binary(z, t, alpha=0.25, reduction="none"), rtol=1e-9, atol=1e-12,
                 name="losses of a positive and a negative with equal p_t (ratio must be 0.25 : 0.75)",
                 mistakes=bin_mistakes(z, t, alpha=0.25, reduction="none"))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_reductions(solution, reduction):
    z, t = bin_data(6, (5, 3))
    got = solution.binary_focal_loss(z, t, reduction=reduction)
    want_shape = (5, 3) if reduction == "none" else ()
    assert tuple(got.shape) == want_shape, f"reduction={reduction!r}: shape {tuple(got.shape)}, expected {want_shape}"
    assert_close(got, ref_binary(z, t, reduction=reduction), rtol=1e-9, atol=1e-12,
                 name=f"binary focal loss, reduction={reduction!r}", mistakes=bin_mistakes(z, t, reduction=reduction))


@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=["float32", "float64"])
def test_binary_large_logits_give_finite_loss_and_gradients(solution, dtype):
    z0 = torch.tensor([100.0, -100.0, 100.0, -100.0, 30.0, -30.0, 0.0, 1e4, -1e4], dtype=dtype)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    z = z0.clone().requires_grad_()
    loss = solution.binary_focal_loss(z, t, reduction="none")
    if not finite(loss):
        bad = [float(v) for v in z0[~torch.isfinite(loss.detach())]]
        raise AssertionError(f"non-finite loss ({dtype}) for logits {bad}: log(sigmoid(z)) or log(1 − sigmoid(z)) "
                             "underflows to log(0); compute −log p_t from the logits (softplus / "
                             "binary_cross_entropy_with_logits)")
    loss.sum().backward()
    assert z.grad is not None and finite(z.grad), \
        f"non-finite gradient ({dtype}) for logits ±100 / ±1e4; the loss is finite but its backward is not"
    assert_close(loss, ref_binary(z0, t, reduction="none"), rtol=1e-4, atol=1e-4,
                 name=f"per-element loss for large logits ({dtype}); a wrong prediction at |z| = 100 costs ≈ α_t·100")
    zr = z0.double().clone().requires_grad_()
    ref_binary(zr, t, reduction="none").sum().backward()
    assert_close(z.grad, zr.grad, rtol=1e-4, atol=1e-6, name=f"gradient for large logits ({dtype})")


@pytest.mark.parametrize("alpha,gamma,seed", [(0.25, 2.0, 7), (0.7, 1.5, 8), (None, 3.0, 9)])
def test_binary_gradients_match_reference(solution, alpha, gamma, seed):
    z0, t = bin_data(seed, (4, 6), scale=3.0)
    z = z0.clone().requires_grad_()
    solution.binary_focal_loss(z, t, alpha=alpha, gamma=gamma).backward()
    zr = z0.clone().requires_grad_()
    ref_binary(zr, t, alpha=alpha, gamma=gamma).backward()
    assert z.grad is not None, "no gradient reached the logits: keep the computation in torch, differentiable"
    assert_close(z.grad, zr.grad, rtol=alpha_rtol(alpha, 1e-8), atol=1e-12,
                 name=f"d loss / d logits (alpha={alpha}, gamma={gamma})")


def test_binary_float32_and_integer_targets(solution):
    z, t = bin_data(10, (3, 5), dtype=torch.float32)
    got = solution.binary_focal_loss(z, t.long(), reduction="none")
    assert_close(got, ref_binary(z, t, reduction="none"), rtol=1e-5, atol=1e-6, dtype="float32",
                 name="float32 logits with int64 targets")


# --- multi-class ------------------------------------------------------------------------------

def multi_data(seed, n, c, scale=2.0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(n, c, generator=g)).to(dtype), torch.randint(0, c, (n,), generator=g)


@pytest.mark.parametrize("n,c,alpha,gamma,reduction,seed", [
    (8, 3, None, 2.0, "mean", 0),
    (5, 4, [0.1, 0.2, 0.3, 0.4], 2.0, "none", 1),
    (11, 2, "tensor", 1.0, "sum", 2),
    (1, 5, None, 0.5, "mean", 3),
    (6, 7, [1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 0.2], 3.0, "mean", 4),
])
def test_multiclass_matches_float64_reference(solution, n, c, alpha, gamma, reduction, seed):
    z, y = multi_data(seed, n, c)
    if alpha == "tensor":
        alpha = torch.linspace(0.2, 0.8, c, dtype=F64)
    got = solution.focal_loss(z, y, alpha=alpha, gamma=gamma, reduction=reduction)
    kw = dict(alpha=alpha, gamma=gamma, reduction=reduction)
    # A Python-list alpha may be turned into a float32 tensor by a correct solution: allow its rounding.
    rtol = 1e-6 if isinstance(alpha, list) else 1e-9
    assert_close(got, ref_multi(z, y, **kw), rtol=rtol, atol=1e-12,
                 name=f"multi-class focal loss (N={n}, C={c}, gamma={gamma}, reduction={reduction!r})",
                 mistakes=multi_mistakes(z, y, **kw))


def test_multiclass_gamma_zero_is_cross_entropy(solution):
    z, y = multi_data(5, 9, 4)
    got = solution.focal_loss(z, y, gamma=0.0)
    assert_close(got, F.cross_entropy(z, y), rtol=1e-9, atol=1e-12,
                 name="multi-class focal loss with gamma=0, alpha=None (must equal cross-entropy)",
                 mistakes=multi_mistakes(z, y, gamma=0.0))


def test_multiclass_large_logits_give_finite_loss_and_gradients(solution):
    z0 = torch.tensor([[100.0, -100.0, 0.0], [-100.0, 100.0, 50.0], [1e4, -1e4, 0.0]])
    y = torch.tensor([1, 1, 2])
    z = z0.clone().requires_grad_()
    loss = solution.focal_loss(z, y, reduction="none")
    assert finite(loss), "non-finite multi-class loss for logits ±100: use log_softmax, not log(softmax(·))"
    loss.sum().backward()
    assert z.grad is not None and finite(z.grad), "non-finite gradient for large multi-class logits"
    assert_close(loss, ref_multi(z0, y, reduction="none"), rtol=1e-4, atol=1e-4, name="loss for large logits")


@pytest.mark.parametrize("alpha,gamma,seed", [(None, 2.0, 11), ([0.5, 1.0, 2.0, 0.25, 1.0], 1.5, 12)])
def test_multiclass_gradients_match_reference(solution, alpha, gamma, seed):
    z0, y = multi_data(seed, 7, 5, scale=3.0)
    z = z0.clone().requires_grad_()
    solution.focal_loss(z, y, alpha=alpha, gamma=gamma).backward()
    zr = z0.clone().requires_grad_()
    ref_multi(zr, y, alpha=alpha, gamma=gamma).backward()
    assert z.grad is not None, "no gradient reached the logits"
    assert_close(z.grad, zr.grad, rtol=1e-6 if alpha else 1e-8, atol=1e-12, name=f"d loss / d logits (alpha={alpha}, gamma={gamma})")


def test_multiclass_float32_keeps_dtype(solution):
    z, y = multi_data(13, 6, 3, dtype=torch.float32)
    got = solution.focal_loss(z, y, alpha=[0.2, 0.3, 0.5], reduction="none")
    assert_close(got, ref_multi(z, y, alpha=[0.2, 0.3, 0.5], reduction="none"), rtol=1e-5, atol=1e-6,
                 dtype="float32", name="float32 multi-class loss")


def test_unknown_reduction_raises_value_error(solution):
    z, t = bin_data(14, (3,))
    for fn, args in ((solution.binary_focal_loss, (z, t)), (solution.focal_loss, multi_data(15, 3, 2))):
        try:
            fn(*args, reduction="avg")
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"{fn.__name__}(reduction='avg') raised {type(exc).__name__}; expected ValueError")
        raise AssertionError(f"{fn.__name__}(reduction='avg') raised nothing; expected ValueError")


def test_variant_binary_settings(solution, variant):
    # A review may ask focal loss without alpha, with another gamma or reduction; the core run: the defaults.
    kw = {"alpha": 0.25, "gamma": 2.0, "reduction": "mean"}
    kw.update({key: variant[key] for key in kw if key in variant})
    z, t = bin_data(61, (5, 6))
    got = solution.binary_focal_loss(z, t, **kw)
    assert_close(got, ref_binary(z, t, **kw), rtol=alpha_rtol(kw["alpha"], 1e-9), atol=1e-12,
                 name=f"binary focal loss ({', '.join(f'{k}={v!r}' for k, v in kw.items())})",
                 mistakes=bin_mistakes(z, t, **kw))


# --- degenerate values and defaults -------------------------------------------------------------------------

def test_binary_alpha_zero_is_not_alpha_none(solution):
    # alpha = 0 weights positives by 0 and negatives by 1: `if alpha:` would treat it as "no weighting".
    z, t = bin_data(16, (4, 5))
    got = solution.binary_focal_loss(z, t, alpha=0.0, reduction="none")
    assert_close(got, ref_binary(z, t, alpha=0.0, reduction="none"), rtol=1e-9, atol=1e-12,
                 name="binary focal loss with alpha=0.0 (positives weigh 0, negatives 1)",
                 mistakes=bin_mistakes(z, t, alpha=0.0, reduction="none"))


def test_binary_alpha_one_and_gamma_zero(solution):
    z, t = bin_data(17, (9,))
    got = solution.binary_focal_loss(z, t, alpha=1.0, gamma=0.0, reduction="sum")
    assert_close(got, ref_binary(z, t, alpha=1.0, gamma=0.0, reduction="sum"), rtol=1e-9, atol=1e-12,
                 name="binary focal loss with alpha=1.0, gamma=0 (negatives weigh 0)",
                 mistakes=bin_mistakes(z, t, alpha=1.0, gamma=0.0, reduction="sum"))


def test_multiclass_defaults(solution):
    # focal_loss(z, y): alpha=None, gamma=2, reduction="mean".
    z, y = multi_data(18, 6, 4)
    assert_close(solution.focal_loss(z, y), ref_multi(z, y), rtol=1e-9, atol=1e-12,
                 name="focal_loss(logits, targets) with every default", mistakes=multi_mistakes(z, y))


def test_multiclass_alpha_follows_the_true_class(solution):
    # Confidently wrong predictions: alpha must be read at the TRUE class y_i, not at the predicted one.
    z = torch.tensor([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]], dtype=F64)
    y = torch.tensor([1, 2, 0])
    alpha = [0.1, 1.0, 3.0]
    got = solution.focal_loss(z, y, alpha=alpha, reduction="none")
    assert_close(got, ref_multi(z, y, alpha=alpha, reduction="none"), rtol=1e-6, atol=1e-12,
                 name="per-sample loss with alpha = [0.1, 1, 3] and wrong confident predictions",
                 mistakes=multi_mistakes(z, y, alpha=alpha, reduction="none"))


def test_dtype_follows_the_logits(solution):
    # float64 targets or a float64 alpha tensor must not turn a float32 loss into float64.
    z, t = bin_data(19, (4, 3), dtype=torch.float32)
    got = solution.binary_focal_loss(z, t.double(), reduction="none")
    assert_close(got, ref_binary(z, t, reduction="none"), rtol=1e-5, atol=1e-6, dtype="float32",
                 name="binary loss of float32 logits with float64 targets (dtype of the logits)"
                 + ("" if got.dtype != F64 else known_mistake(LABELS["targets_dtype_leaks"])))
    zm, y = multi_data(20, 5, 3, dtype=torch.float32)
    alpha = torch.tensor([0.2, 0.5, 1.5], dtype=F64)
    got = solution.focal_loss(zm, y, alpha=alpha, reduction="none")
    assert_close(got, ref_multi(zm, y, alpha=alpha, reduction="none"), rtol=1e-5, atol=1e-6, dtype="float32",
                 name="multi-class loss of float32 logits with a float64 alpha tensor (dtype of the logits)"
                 + ("" if got.dtype != F64 else known_mistake(LABELS["alpha_dtype_leaks"])))


def test_multiclass_batch_of_one_keeps_its_shape(solution):
    z, y = multi_data(21, 1, 4)
    got = solution.focal_loss(z, y, reduction="none")
    if tuple(got.shape) == ():
        raise AssertionError("reduction='none' with N = 1 returned a 0-d tensor, expected shape (1,)"
                             + known_mistake(LABELS["squeeze_drops_batch_of_one"]))
    assert_close(got, ref_multi(z, y, reduction="none"), rtol=1e-9, atol=1e-12,
                 name="per-sample loss of a batch of one (shape (1,))")
