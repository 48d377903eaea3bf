"""Hidden suite for ddpm: schedules, q(x_t | x_0), the ε-prediction loss and one reverse step,
against float64 references written here (the reverse mean through the x̂₀ form of the posterior)."""

import math

import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


def ref_alpha_bar(betas, mistake=None):
    alpha_bar = torch.cumprod(1 - betas.double(), 0)
    if mistake == "alpha_bar_exclusive":
        alpha_bar = torch.cat([torch.ones(1, dtype=F64), alpha_bar[:-1]])
    return alpha_bar


def ref_cosine(T, s=0.008, max_beta=0.999, mistake=None):
    f = [math.cos((i / T + s) / (1 + s) * math.pi / 2) ** 2 for i in range(T + 1)]
    if mistake == "cosine_beta_is_one_minus_alpha_bar":
        betas = [1 - f[i] / f[0] for i in range(1, T + 1)]
    else:
        betas = [1 - f[i] / f[i - 1] for i in range(1, T + 1)]
    if mistake != "cosine_not_clipped":
        betas = [min(b, max_beta) for b in betas]
    return torch.tensor(betas, dtype=F64)


def col(v, x):
    return v.reshape(-1, *([1] * (x.dim() - 1)))


def ref_q_sample(x0, t, noise, betas, mistake=None):
    ab = ref_alpha_bar(betas, mistake)[t]
    if mistake == "variance_alpha_bar":
        noise_scale = ab.sqrt()
    elif mistake == "variance_one_minus_sqrt":
        noise_scale = (1 - ab.sqrt()).sqrt()
    else:
        noise_scale = (1 - ab).sqrt()
    return col(ab.sqrt(), x0) * x0.double() + col(noise_scale, x0) * noise.double()


def ref_step(eps, x_t, t, z, betas, variance="posterior", mistake=None):
    """Posterior mean written with x̂₀ (an independent form of the ε-form the prompt gives)."""
    betas = betas.double()
    ab = ref_alpha_bar(betas)
    ab_prev = torch.cat([torch.ones(1, dtype=F64), ab[:-1]])
    x_t, eps, z = x_t.double(), eps.double(), z.double()
    if mistake == "mean_alpha_bar":
        mean = col(1 / ab[t].sqrt(), x_t) * (x_t - col(betas[t] / (1 - ab[t]).sqrt(), x_t) * eps)
    else:
        x0_hat = (x_t - col((1 - ab[t]).sqrt(), x_t) * eps) / col(ab[t].sqrt(), x_t)
        mean = (col(ab_prev[t].sqrt() * betas[t] / (1 - ab[t]), x_t) * x0_hat
                + col((1 - betas[t]).sqrt() * (1 - ab_prev[t]) / (1 - ab[t]), x_t) * x_t)
    if mistake == "no_noise":
        return mean
    if variance == "posterior" and mistake != "beta_instead_of_posterior":
        var = betas[t] * (1 - ab_prev[t]) / (1 - ab[t])
    else:
        var = torch.where(t == 0, torch.zeros_like(betas[t]), betas[t])
        if mistake == "noise_at_t0":
            var = betas[t]
    sigma = var if mistake == "variance_as_std" else var.sqrt()
    return mean + col(sigma, x_t) * z


def named(fn, labels, *args, **kw):
    return {LABELS[m]: fn(*args, mistake=m, **kw) for m in labels}


Q_MISTAKES = ("variance_alpha_bar", "variance_one_minus_sqrt", "alpha_bar_exclusive")
STEP_MISTAKES = ("beta_instead_of_posterior", "noise_at_t0", "mean_alpha_bar", "no_noise", "variance_as_std")


def data(seed, shape, T, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g).to(dtype)
    noise = torch.randn(shape, generator=g).to(dtype)
    t = torch.randint(0, T, (shape[0],), generator=g)
    t[0], t[-1] = 0, T - 1  # both ends of the schedule in every batch
    return x, t, noise


# --- schedules --------------------------------------------------------------------------------

def test_linear_betas_defaults(solution):
    got = solution.linear_betas(1000)
    assert_close(got, torch.linspace(1e-4, 0.02, 1000, dtype=F64), rtol=1e-12, atol=1e-15, dtype="float64",
                 name="linear_betas(1000) with the default beta_start=1e-4, beta_end=0.02")


def test_linear_betas_custom_endpoints(solution):
    got = solution.linear_betas(7, beta_start=0.001, beta_end=0.3)
    assert_close(got, torch.linspace(0.001, 0.3, 7, dtype=F64), rtol=1e-12, atol=1e-15, dtype="float64",
                 name="linear_betas(7, 0.001, 0.3): both endpoints included")


@pytest.mark.parametrize("T,kw", [(1000, {}), (12, {}), (50, {"s": 0.0}), (8, {"s": 0.02, "max_beta": 0.5}), (1, {})],
                         ids=["T1000-defaults", "T12", "s0", "max_beta0.5", "T1"])
def test_cosine_betas(solution, T, kw):
    got = solution.cosine_betas(T, **kw)
    assert_close(got, ref_cosine(T, **kw), rtol=1e-10, atol=1e-13, dtype="float64",
                 name=f"cosine_betas({T}, {kw})",
                 mistakes=named(ref_cosine, ("cosine_not_clipped", "cosine_beta_is_one_minus_alpha_bar"), T, **kw))


# --- forward noising ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape,schedule,seed", [((5, 3, 4, 4), "linear", 0), ((6, 8), "cosine", 1),
                                                 ((4,), "linear", 2), ((1, 2, 3), "cosine", 3)])
def test_q_sample_matches_closed_form(solution, shape, schedule, seed):
    T = 100
    betas = torch.linspace(1e-4, 0.02, T, dtype=F64) if schedule == "linear" else ref_cosine(T)
    x0, t, noise = data(seed, shape, T)
    got = solution.q_sample(x0, t, noise, betas)
    assert_close(got, ref_q_sample(x0, t, noise, betas), rtol=1e-10, atol=1e-12,
                 name=f"q_sample, x0 {shape}, {schedule} schedule, t = {t.tolist()}",
                 mistakes=named(ref_q_sample, Q_MISTAKES, x0, t, noise, betas))


def test_q_sample_keeps_variance_one(solution):
    # x0 and noise independent with unit variance: x_t must have unit variance at every t (variance preserving).
    T = 20
    betas = torch.linspace(0.05, 0.6, T, dtype=F64)
    g = torch.Generator().manual_seed(4)
    x0, noise = torch.randn(T, 20000, generator=g, dtype=F64), torch.randn(T, 20000, generator=g, dtype=F64)
    t = torch.arange(T)
    got = solution.q_sample(x0, t, noise, betas)
    assert_close(got, ref_q_sample(x0, t, noise, betas), rtol=1e-10, atol=1e-12,
                 name="q_sample over every t of a 20-step schedule",
                 mistakes=named(ref_q_sample, Q_MISTAKES, x0, t, noise, betas))
    assert_close(got.var(dim=1), torch.ones(T, dtype=F64), rtol=0, atol=0.05, name="variance of x_t per t")


def test_q_sample_float32_keeps_dtype(solution):
    betas = torch.linspace(1e-4, 0.02, 50, dtype=F64)
    x0, t, noise = data(5, (3, 2, 5), 50, dtype=torch.float32)
    got = solution.q_sample(x0, t, noise, betas)
    assert_close(got, ref_q_sample(x0, t, noise, betas), rtol=1e-5, atol=1e-6, dtype="float32",
                 name="q_sample on float32 x0 and noise (float64 schedule)")


# --- loss ------------------------------------------------------------------------------------

class TinyEps(torch.nn.Module):
    """ε_θ(x_t, t): a linear map of the flattened x_t plus a learned per-timestep offset."""

    def __init__(self, d, T, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w = torch.nn.Parameter(0.3 * torch.randn(d, d, generator=g, dtype=F64))
        self.emb = torch.nn.Parameter(0.1 * torch.randn(T, d, generator=g, dtype=F64))

    def forward(self, x_t, t):
        flat = x_t.reshape(x_t.shape[0], -1)
        return (flat @ self.w + self.emb[t]).reshape(x_t.shape)


def ref_loss(model, x0, t, noise, betas, mistake=None):
    x_t = ref_q_sample(x0, t, noise, betas)
    target = x0 if mistake == "loss_target_x0" else noise
    sq = (model(x_t, t) - target) ** 2
    return sq.sum() if mistake == "loss_sum" else sq.mean()


@pytest.mark.parametrize("shape,seed", [((4, 2, 3), 6), ((7, 5), 7), ((1, 6), 8)])
def test_ddpm_loss_value_and_gradients(solution, shape, seed):
    T = 30
    betas = torch.linspace(1e-3, 0.05, T, dtype=F64)
    x0, t, noise = data(seed, shape, T)
    d = math.prod(shape[1:])
    model, ref_model = TinyEps(d, T, seed), TinyEps(d, T, seed)
    loss = solution.ddpm_loss(model, x0, t, noise, betas)
    want = ref_loss(ref_model, x0, t, noise, betas)
    assert_close(loss, want, rtol=1e-10, atol=1e-12, name=f"ddpm_loss, x0 {shape}",
                 mistakes=named(ref_loss, ("loss_sum", "loss_target_x0"), ref_model, x0, t, noise, betas))
    assert isinstance(loss, torch.Tensor) and loss.requires_grad, \
        "ddpm_loss must return a differentiable tensor (it trains the model)"
    loss.backward()
    want.backward()
    for name in ("w", "emb"):
        got = getattr(model, name).grad
        assert got is not None, f"no gradient reached the model parameter {name}"
        assert_close(got, getattr(ref_model, name).grad, rtol=1e-9, atol=1e-12, name=f"d loss / d {name}")


# --- reverse step ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,schedule,seed", [((6, 3, 2, 2), "linear", 9), ((5, 4), "cosine", 10),
                                                 ((3,), "linear", 11)])
def test_reverse_step_default_posterior_variance(solution, shape, schedule, seed):
    T = 40
    betas = torch.linspace(1e-3, 0.08, T, dtype=F64) if schedule == "linear" else ref_cosine(T)
    x_t, t, eps = data(seed, shape, T)
    z = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 100), dtype=F64)
    got = solution.p_sample_step(eps, x_t, t, z, betas)
    assert_close(got, ref_step(eps, x_t, t, z, betas), rtol=1e-9, atol=1e-11,
                 name=f"p_sample_step (default variance='posterior'), x_t {shape}, {schedule}, t = {t.tolist()}",
                 mistakes=named(ref_step, STEP_MISTAKES, eps, x_t, t, z, betas))


@pytest.mark.parametrize("seed", [12, 13])
def test_reverse_step_beta_variance(solution, seed):
    T = 25
    betas = torch.linspace(0.01, 0.2, T, dtype=F64)
    x_t, t, eps = data(seed, (7, 3), T)
    z = torch.randn(7, 3, generator=torch.Generator().manual_seed(seed + 100), dtype=F64)
    got = solution.p_sample_step(eps, x_t, t, z, betas, variance="beta")
    assert_close(got, ref_step(eps, x_t, t, z, betas, variance="beta"), rtol=1e-9, atol=1e-11,
                 name=f"p_sample_step(variance='beta'), t = {t.tolist()} (no noise where t = 0)",
                 mistakes=named(ref_step, STEP_MISTAKES, eps, x_t, t, z, betas, variance="beta"))


def test_last_reverse_step_returns_the_mean(solution):
    # At t = 0 both variances give x_0 = μ: the same z must not change the result.
    betas = torch.linspace(0.01, 0.2, 10, dtype=F64)
    x_t, _, eps = data(14, (4, 5), 10)
    t = torch.zeros(4, dtype=torch.long)
    for variance in ("posterior", "beta"):
        a = solution.p_sample_step(eps, x_t, t, torch.zeros(4, 5, dtype=F64), betas, variance=variance)
        b = solution.p_sample_step(eps, x_t, t, torch.ones(4, 5, dtype=F64), betas, variance=variance)
        assert_close(b, a, rtol=1e-12, atol=1e-12, name=f"x_0 at t = 0 with z = 1 vs z = 0 (variance={variance!r})",
                     mistakes={LABELS["noise_at_t0"]: a + betas[0].sqrt()})


def test_reverse_step_inverts_a_perfect_prediction(solution):
    # With the true ε and T = 1 the single reverse step must give back x0 exactly.
    betas = torch.tensor([0.3], dtype=F64)
    x0, t, noise = data(15, (5, 3), 1)
    x1 = ref_q_sample(x0, t, noise, betas)
    got = solution.p_sample_step(noise, x1, t, torch.randn(5, 3, dtype=F64), betas)
    assert_close(got, x0, rtol=1e-10, atol=1e-12, name="one-step schedule, true noise: x_0 recovered")


def test_reverse_step_float32_keeps_dtype(solution):
    betas = torch.linspace(1e-3, 0.05, 20, dtype=F64)
    x_t, t, eps = data(16, (4, 6), 20, dtype=torch.float32)
    z = torch.randn(4, 6, dtype=torch.float32)
    got = solution.p_sample_step(eps, x_t, t, z, betas)
    assert_close(got, ref_step(eps, x_t, t, z, betas), rtol=1e-5, atol=1e-5, dtype="float32",
                 name="p_sample_step on float32 tensors")


def test_unknown_variance_raises_value_error(solution):
    betas = torch.linspace(1e-3, 0.05, 5, dtype=F64)
    x_t, t, eps = data(17, (2, 3), 5)
    expect_value_error(lambda: solution.p_sample_step(eps, x_t, t, eps, betas, variance="learned"),
                       "p_sample_step(variance='learned')")


def test_sampling_chain(solution, variant):
    # A whole reverse chain x_(T−1) -> ... -> x_0 with a fixed linear ε-predictor; variants choose the schedule.
    T, variance = variant.get("T", 30), variant.get("variance", "posterior")
    betas = ref_cosine(T) if variant.get("schedule") == "cosine" else torch.linspace(1e-3, 0.1, T, dtype=F64)
    g = torch.Generator().manual_seed(18)
    x = torch.randn(3, 4, generator=g, dtype=F64)
    zs = torch.randn(T, 3, 4, generator=g, dtype=F64)
    got, want = x.clone(), x.clone()
    for step in reversed(range(T)):
        t = torch.full((3,), step, dtype=torch.long)
        got = solution.p_sample_step(0.5 * got, got, t, zs[step], betas, variance=variance)
        want = ref_step(0.5 * want, want, t, zs[step], betas, variance=variance)
    assert_close(got, want, rtol=1e-7, atol=1e-9, name=f"x_0 after a {T}-step reverse chain (variance={variance!r})")


def test_non_contiguous_inputs_are_read_not_written(solution):
    betas = torch.linspace(1e-3, 0.05, 20, dtype=F64)
    g = torch.Generator().manual_seed(19)
    x0 = torch.randn(4, 5, 3, generator=g, dtype=F64).transpose(1, 2)  # (4, 3, 5), not contiguous
    noise = torch.randn(4, 5, 3, generator=g, dtype=F64).transpose(1, 2)
    t = torch.tensor([0, 7, 19, 3])
    x0_copy, noise_copy = x0.clone(), noise.clone()
    got = solution.q_sample(x0, t, noise, betas)
    assert_close(got, ref_q_sample(x0, t, noise, betas), rtol=1e-10, atol=1e-12,
                 name="q_sample on transposed (non-contiguous) x0 and noise",
                 mistakes=named(ref_q_sample, Q_MISTAKES, x0, t, noise, betas))
    step = solution.p_sample_step(noise, x0, t, noise, betas)
    assert_close(step, ref_step(noise, x0, t, noise, betas), rtol=1e-9, atol=1e-11,
                 name="p_sample_step on non-contiguous tensors")
    assert torch.equal(x0, x0_copy) and torch.equal(noise, noise_copy), "q_sample / p_sample_step modified their inputs"
