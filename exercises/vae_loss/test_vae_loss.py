"""Hidden suite for vae_loss: the reparameterised sample, the closed-form KL and the β-VAE loss,
against float64 references written here (KL in the σ² form, BCE as softplus(z) − x·z)."""

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, known_mistake, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


def ref_sample(mu, logvar, eps, mistake=None):
    std = {"logvar_as_std": logvar, "std_is_exp_logvar": logvar.exp()}.get(mistake, (0.5 * logvar).exp())
    return mu + std * eps


def ref_kl(mu, logvar, mistake=None):
    var = logvar.double().exp()
    kl = 0.5 * (var + mu.double() ** 2 - 1 - logvar.double())  # KL(N(μ, σ²) ‖ N(0, 1)) per dimension
    kl = {"kl_sign": -kl, "kl_no_half": 2 * kl}.get(mistake, kl).flatten(1)
    return kl.mean(1) if mistake == "kl_mean_over_latent" else kl.sum(1)


def ref_nll(recon, x, likelihood, mistake=None):
    recon, x = recon.double(), x.double()
    if likelihood == "bernoulli":
        nll = F.softplus(recon) - x * recon
        if mistake == "bce_of_sigmoid":
            nll = F.binary_cross_entropy(torch.sigmoid(recon), x, reduction="none")
    else:
        nll = (1.0 if mistake == "gaussian_no_half" else 0.5) * (recon - x) ** 2
    nll = nll.flatten(1)
    return nll.mean(1) if mistake == "recon_mean_over_features" else nll.sum(1)


def ref_loss(recon, x, mu, logvar, beta=1.0, likelihood="bernoulli", mistake=None):
    rec = ref_nll(recon, x, likelihood, mistake).mean()
    kl = ref_kl(mu, logvar, mistake).mean()
    total = beta * rec + kl if mistake == "beta_on_reconstruction" else rec + beta * kl
    return total, rec, kl


SAMPLE_MISTAKES = ("logvar_as_std", "std_is_exp_logvar")
KL_MISTAKES = ("kl_sign", "kl_no_half", "kl_mean_over_latent")
LOSS_MISTAKES = KL_MISTAKES + ("recon_mean_over_features", "beta_on_reconstruction", "bce_of_sigmoid",
                               "gaussian_no_half")


def named(fn, labels, *args, part=None, **kw):
    out = {}
    for m in labels:
        wrong = fn(*args, mistake=m, **kw)
        out[LABELS[m]] = wrong if part is None else wrong[part]
    return out


def latents(seed, shape, dtype=F64, spread=1.5):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(shape, generator=g).to(dtype)
    logvar = (spread * torch.randn(shape, generator=g)).to(dtype)
    eps = torch.randn(shape, generator=g).to(dtype)
    return mu, logvar, eps


def images(seed, shape, binary=False):
    g = torch.Generator().manual_seed(seed)
    logits = 2 * torch.randn(shape, generator=g, dtype=F64)
    x = torch.rand(shape, generator=g, dtype=F64)
    return logits, (x > 0.5).double() if binary else x


def check_loss(got, want, wrong, what, rtol=1e-10, atol=1e-10, dtype=None):
    assert isinstance(got, (tuple, list)) and len(got) == 3, \
        f"{what}: vae_loss must return (loss, reconstruction, kl), got {type(got).__name__}"
    for i, part in enumerate(("loss", "reconstruction term", "KL term")):
        assert_close(got[i], want[i], rtol=rtol, atol=atol, name=f"{what}: {part}", dtype=dtype,
                     mistakes={label: w[i] for label, w in wrong.items()})


# --- reparameterisation ------------------------------------------------------------------------

@pytest.mark.parametrize("shape,seed", [((4, 3), 0), ((2, 5, 2), 1), ((1, 1), 2)])
def test_reparameterize_values(solution, shape, seed):
    mu, logvar, eps = latents(seed, shape)
    got = solution.reparameterize(mu, logvar, eps)
    assert_close(got, ref_sample(mu, logvar, eps), rtol=1e-12, atol=1e-12, name=f"z = μ + σ·ε, shape {shape}",
                 mistakes=named(ref_sample, SAMPLE_MISTAKES, mu, logvar, eps))


def test_reparameterize_gradients_reach_mu_and_logvar(solution):
    mu0, lv0, eps = latents(3, (5, 4))
    mu, logvar = mu0.clone().requires_grad_(), lv0.clone().requires_grad_()
    z = solution.reparameterize(mu, logvar, eps)
    assert z.requires_grad, f"z does not depend on μ and log σ² in the autograd graph{known_mistake(LABELS['no_reparameterization'])}"
    w = torch.linspace(-1, 1, 20, dtype=F64).reshape(5, 4)
    (w * z).sum().backward()
    assert mu.grad is not None and logvar.grad is not None, \
        "no gradient reached μ or log σ²" + known_mistake(LABELS["no_reparameterization"])
    assert_close(mu.grad, w, rtol=1e-12, atol=1e-12, name="d(Σ w·z)/dμ (must be w)")
    assert_close(logvar.grad, w * 0.5 * (0.5 * lv0).exp() * eps, rtol=1e-10, atol=1e-12,
                 name="d(Σ w·z)/d log σ² (must be w · ½σ · ε)")


def test_reparameterize_float32_keeps_dtype(solution):
    mu, logvar, eps = latents(4, (3, 6), dtype=torch.float32)
    assert_close(solution.reparameterize(mu, logvar, eps), ref_sample(mu.double(), logvar.double(), eps.double()),
                 rtol=1e-5, atol=1e-6, dtype="float32", name="float32 latents")


def test_reparameterize_extreme_log_variance(solution):
    # log σ² is any real number: no clamp may change σ = exp(½·log σ²) far from 0.
    mu = torch.tensor([[0.5, -1.0, 2.0, 0.0]], dtype=F64).repeat(2, 1)
    logvar = torch.tensor([[-40.0, -15.0, 12.0, 30.0], [-25.0, 0.0, 22.0, -60.0]], dtype=F64)
    eps = torch.tensor([[1.0, -2.0, 0.5, 1.5], [-1.0, 0.3, 2.0, 1.0]], dtype=F64)
    got = solution.reparameterize(mu, logvar, eps)
    assert_close(got, ref_sample(mu, logvar, eps), rtol=1e-12, atol=1e-30, name="z for log σ² from −60 to 30",
                 mistakes={LABELS["logvar_clamped"]: ref_sample(mu, logvar.clamp(-10, 10), eps)}
                 | named(ref_sample, SAMPLE_MISTAKES, mu, logvar, eps))


# --- KL ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,seed", [((6, 4), 5), ((3, 2, 4), 6), ((1, 1), 7), ((2, 16), 8)])
def test_kl_matches_closed_form(solution, shape, seed):
    mu, logvar, _ = latents(seed, shape)
    got = solution.kl_standard_normal(mu, logvar)
    assert_close(got, ref_kl(mu, logvar), rtol=1e-10, atol=1e-12, name=f"per-sample KL, latents {shape}",
                 mistakes=named(ref_kl, KL_MISTAKES, mu, logvar))


def test_kl_is_zero_for_the_prior_and_positive_otherwise(solution):
    zeros = torch.zeros(3, 5, dtype=F64)
    assert_close(solution.kl_standard_normal(zeros, zeros), torch.zeros(3, dtype=F64), rtol=0, atol=1e-12,
                 name="KL(N(0, 1) ‖ N(0, 1)) must be 0")
    mu = torch.tensor([[0.0], [2.0], [0.0], [0.0]], dtype=F64)
    logvar = torch.tensor([[0.0], [0.0], [2.0], [-3.0]], dtype=F64)
    got = solution.kl_standard_normal(mu, logvar)
    assert_close(got, ref_kl(mu, logvar), rtol=1e-10, atol=1e-12, name="KL of one-dimensional Gaussians",
                 mistakes=named(ref_kl, KL_MISTAKES, mu, logvar))


def test_kl_extreme_log_variance_stays_finite(solution):
    mu = torch.tensor([[0.5, -3.0], [1e3, 0.0]], dtype=torch.float32)
    logvar = torch.tensor([[-30.0, 20.0], [0.0, -60.0]], dtype=torch.float32)
    got = solution.kl_standard_normal(mu, logvar)
    assert bool(torch.isfinite(got).all()), "KL not finite for log σ² in [−60, 20]: use exp(log σ²), never log(σ²)"
    assert_close(got, ref_kl(mu, logvar), rtol=1e-5, atol=1e-4, dtype="float32", name="KL for extreme log σ²")


# --- loss ------------------------------------------------------------------------------------

@pytest.mark.parametrize("likelihood,beta,xshape,zshape,seed", [
    ("bernoulli", 1.0, (4, 12), (4, 3), 9),
    ("bernoulli", 4.0, (3, 1, 4, 4), (3, 2), 10),
    ("gaussian", 0.5, (5, 7), (5, 2, 2), 11),
    ("gaussian", 1.0, (1, 3), (1, 1), 12),
    ("gaussian", 2.0, (2, 3, 4, 5), (2, 3), 26),
])
def test_vae_loss_values(solution, likelihood, beta, xshape, zshape, seed):
    recon, x = images(seed, xshape)
    mu, logvar, _ = latents(seed + 50, zshape)
    got = solution.vae_loss(recon, x, mu, logvar, beta=beta, likelihood=likelihood)
    want = ref_loss(recon, x, mu, logvar, beta, likelihood)
    check_loss(got, want, named(ref_loss, LOSS_MISTAKES, recon, x, mu, logvar, beta, likelihood),
               f"vae_loss({likelihood}, beta={beta}), x {xshape}, z {zshape}")


def test_vae_loss_defaults_are_bernoulli_and_beta_one(solution):
    recon, x = images(13, (6, 10), binary=True)
    mu, logvar, _ = latents(14, (6, 4))
    got = solution.vae_loss(recon, x, mu, logvar)
    check_loss(got, ref_loss(recon, x, mu, logvar), named(ref_loss, LOSS_MISTAKES, recon, x, mu, logvar),
               "vae_loss with the defaults (bernoulli, beta=1)")


def test_vae_loss_beta_zero_is_reconstruction_only(solution):
    recon, x = images(15, (4, 5))
    mu, logvar, _ = latents(16, (4, 3))
    got = solution.vae_loss(recon, x, mu, logvar, beta=0.0)
    want = ref_loss(recon, x, mu, logvar, beta=0.0)
    check_loss(got, want, named(ref_loss, LOSS_MISTAKES, recon, x, mu, logvar, beta=0.0), "vae_loss(beta=0)")


@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=["float32", "float64"])
def test_bernoulli_large_logits_are_finite_and_exact(solution, dtype):
    recon = torch.tensor([[300.0, -300.0, 40.0, -40.0], [-300.0, 300.0, 0.0, 17.0]], dtype=dtype)
    x = torch.tensor([[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.5, 1.0]], dtype=dtype)
    mu, logvar, _ = latents(17, (2, 2), dtype=dtype)
    got = solution.vae_loss(recon, x, mu, logvar)
    assert all(bool(torch.isfinite(v).all()) for v in got), \
        f"non-finite loss for logits ±300 ({dtype}): compute BCE from the logits (softplus), not from sigmoid"
    check_loss(got, ref_loss(recon, x, mu, logvar), named(ref_loss, LOSS_MISTAKES, recon, x, mu, logvar),
               f"logits ±300 ({dtype}): a confident wrong pixel costs ≈ 300", rtol=1e-5, atol=1e-4,
               dtype=str(dtype).removeprefix("torch."))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_vae_loss_gradients(solution, likelihood):
    recon0, x = images(18, (3, 6))
    mu0, lv0, _ = latents(19, (3, 2))
    got_leaves = [t.clone().requires_grad_() for t in (recon0, mu0, lv0)]
    ref_leaves = [t.clone().requires_grad_() for t in (recon0, mu0, lv0)]
    r, m, lv = got_leaves
    got = solution.vae_loss(r, x, m, lv, beta=2.0, likelihood=likelihood)
    for part, value in zip(("reconstruction", "kl"), got[1:]):
        assert isinstance(value, torch.Tensor) and value.requires_grad, \
            f"the returned {part} term is not a differentiable tensor (detached or a Python number)" \
            + known_mistake(LABELS["terms_detached"])
    got[0].backward()
    rr, rm, rlv = ref_leaves
    ref_loss(rr, x, rm, rlv, beta=2.0, likelihood=likelihood)[0].backward()
    for name, a, b in zip(("reconstruction", "μ", "log σ²"), got_leaves, ref_leaves):
        assert a.grad is not None, f"no gradient reached {name}"
        assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12, name=f"d loss / d {name} ({likelihood}, beta=2)")


def test_unknown_likelihood_raises_value_error(solution):
    recon, x = images(20, (2, 3))
    mu, logvar, _ = latents(21, (2, 2))
    expect_value_error(lambda: solution.vae_loss(recon, x, mu, logvar, likelihood="laplace"),
                       "vae_loss(likelihood='laplace')")


def test_variant_configuration(solution, variant):
    likelihood, beta = variant.get("likelihood", "bernoulli"), variant.get("beta", 1.0)
    recon, x = images(22, (5, 2, 3))
    mu, logvar, _ = latents(23, (5, 4))
    got = solution.vae_loss(recon, x, mu, logvar, beta=beta, likelihood=likelihood)
    check_loss(got, ref_loss(recon, x, mu, logvar, beta, likelihood),
               named(ref_loss, LOSS_MISTAKES, recon, x, mu, logvar, beta, likelihood),
               f"vae_loss(likelihood={likelihood!r}, beta={beta})")


def test_non_contiguous_inputs_are_read_not_written(solution):
    mu, logvar, eps = (t.transpose(0, 1) for t in latents(24, (3, 4)))  # (4, 3) views, not contiguous
    recon, x = (t.transpose(0, 1) for t in images(25, (6, 4)))
    before = [t.clone() for t in (mu, logvar, eps, recon, x)]
    assert_close(solution.reparameterize(mu, logvar, eps), ref_sample(mu, logvar, eps), rtol=1e-12, atol=1e-12,
                 name="reparameterize on transposed tensors")
    check_loss(solution.vae_loss(recon, x, mu, logvar), ref_loss(recon, x, mu, logvar),
               named(ref_loss, LOSS_MISTAKES, recon, x, mu, logvar), "vae_loss on transposed tensors")
    assert all(torch.equal(a, b) for a, b in zip((mu, logvar, eps, recon, x), before)), "the inputs were modified"
