"""Hidden suite for infonce: the symmetric CLIP loss against a float64 reference written here (log-softmax per axis)."""

import math

import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)
F64 = torch.float64


def ref(img, txt, scale, norm_dim=-1, normalise=True, combine="mean"):
    a, b = img.double(), txt.double()
    if normalise:
        a, b = a / a.norm(dim=norm_dim, keepdim=True), b / b.norm(dim=norm_dim, keepdim=True)
    logits = scale * (a @ b.T)
    image_to_text = -torch.log_softmax(logits, dim=1).diagonal().mean()  # each row: one image, all texts
    text_to_image = -torch.log_softmax(logits, dim=0).diagonal().mean()  # each column: one text, all images
    if combine == "first":
        return image_to_text
    return image_to_text + text_to_image if combine == "sum" else (image_to_text + text_to_image) / 2


def mistakes(img, txt, scale, tau=None, raw_scale=None):
    wrong = {"one_direction": ref(img, txt, scale, combine="first"),
             "directions_summed": ref(img, txt, scale, combine="sum"),
             "not_normalised": ref(img, txt, scale, normalise=False),
             "normalised_over_batch": ref(img, txt, scale, norm_dim=0), "temperature_twice": ref(img, txt, scale ** 2)}
    if tau is not None:
        wrong["multiplied_by_temperature"] = ref(img, txt, tau)
    if raw_scale is not None:
        wrong["logit_scale_not_exponentiated"] = ref(img, txt, raw_scale)
    want = ref(img, txt, scale)
    return {LABELS[k]: v for k, v in wrong.items() if not torch.allclose(v, want, rtol=1e-9, atol=1e-12)}


def features(seed, n, d, dtype=F64, align=0.5):
    g = torch.Generator().manual_seed(seed)
    img = torch.randn(n, d, generator=g, dtype=dtype) * torch.rand(n, 1, generator=g, dtype=dtype).add(0.5) * 3
    txt = align * img + torch.randn(n, d, generator=g, dtype=dtype)  # related pairs, norms far from 1
    return img, txt


@pytest.mark.parametrize("n,d,tau,seed", [(8, 16, 0.07, 0), (4, 3, 0.5, 1), (16, 32, 1.0, 2), (5, 8, 0.2, 3)])
def test_matches_the_symmetric_clip_loss(solution, n, d, tau, seed):
    img, txt = features(seed, n, d)
    got = solution.clip_loss(img, txt, temperature=tau)
    assert_close(got, ref(img, txt, 1 / tau), rtol=1e-10, atol=1e-12, name=f"loss (N={n}, D={d}, temperature={tau})",
                 mistakes=mistakes(img, txt, 1 / tau, tau=tau))


def test_default_temperature_is_0_07(solution):
    img, txt = features(4, 6, 10)
    assert_close(solution.clip_loss(img, txt), ref(img, txt, 1 / 0.07), rtol=1e-10, atol=1e-12,
                 name="loss with the default temperature", mistakes=mistakes(img, txt, 1 / 0.07, tau=0.07))


def test_learned_logit_scale(solution):
    img0, txt0 = features(5, 7, 12)
    raw = math.log(1 / 0.07)
    leaves = [t.clone().requires_grad_() for t in (img0, txt0, torch.tensor(raw, dtype=F64))]
    refs = [t.clone().requires_grad_() for t in (img0, txt0, torch.tensor(raw, dtype=F64))]
    got = solution.clip_loss(leaves[0], leaves[1], temperature=123.0, logit_scale=leaves[2])
    want = ref(refs[0], refs[1], refs[2].exp())
    assert_close(got, want, rtol=1e-10, atol=1e-12, name="loss with logit_scale = log(1/0.07) (temperature ignored)",
                 mistakes=mistakes(img0, txt0, 1 / 0.07, raw_scale=raw))
    got.backward()
    want.backward()
    for name, a, b in zip(("image_features", "text_features", "logit_scale"), leaves, refs):
        assert a.grad is not None, f"no gradient reached {name}"
        assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12, name=f"d loss / d {name}")


@pytest.mark.parametrize("tau", [0.07, 0.5])
def test_gradients_of_the_features(solution, tau):
    img0, txt0 = features(6, 5, 4)
    mine = [t.clone().requires_grad_() for t in (img0, txt0)]
    refs = [t.clone().requires_grad_() for t in (img0, txt0)]
    solution.clip_loss(*mine, temperature=tau).backward()
    ref(*refs, 1 / tau).backward()
    for name, a, b in zip(("image_features", "text_features"), mine, refs):
        assert a.grad is not None, f"no gradient reached {name}"
        assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12, name=f"d loss / d {name} (temperature={tau})")


def test_small_temperature_in_float32_stays_finite(solution):
    # τ = 0.01 gives logits up to ±100: exp(100) overflows float32, a log-softmax does not
    img, txt = features(7, 6, 8, dtype=torch.float32, align=3.0)
    got = solution.clip_loss(img, txt, temperature=0.01)
    assert torch.isfinite(got), f"loss is {float(got)} for temperature 0.01 in float32: use a stable log-softmax"
    assert_close(got, ref(img, txt, 100.0), rtol=1e-4, atol=1e-4, dtype="float32", name="float32 loss at τ = 0.01")


def test_one_pair_has_zero_loss(solution):
    img, txt = features(8, 1, 5)
    assert_close(solution.clip_loss(img, txt), torch.zeros((), dtype=F64), atol=1e-12,
                 name="a batch of one pair (its only candidate is the right one)")


def test_identical_features_with_a_small_temperature(solution):
    img, _ = features(9, 4, 16)
    got = solution.clip_loss(img, img.clone(), temperature=0.02)
    assert_close(got, ref(img, img, 50.0), rtol=1e-9, atol=1e-12, name="loss of identical image and text features")


def test_batch_of_the_variant(solution, variant):
    n, d, tau = variant.get("batch", 32), variant.get("dim", 64), variant.get("temperature", 0.07)
    img, txt = features(10, n, d)
    assert_close(solution.clip_loss(img, txt, temperature=tau), ref(img, txt, 1 / tau), rtol=1e-10, atol=1e-12,
                 name=f"loss (N={n}, D={d}, temperature={tau})", mistakes=mistakes(img, txt, 1 / tau, tau=tau))


def test_bad_arguments_raise_value_error(solution):
    img, txt = features(11, 4, 6)
    expect_value_error(lambda: solution.clip_loss(img, txt[:3]), "4 images and 3 texts")
    expect_value_error(lambda: solution.clip_loss(img, txt, temperature=0.0), "temperature = 0")
