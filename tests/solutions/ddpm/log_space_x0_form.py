"""Correct alternative for ddpm: ᾱ through a cumulative sum of logs, the reverse mean through x̂₀, float64 inside."""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    frac = torch.arange(T, dtype=torch.float64) / max(T - 1, 1)
    return beta_start + (beta_end - beta_start) * frac


def cosine_betas(T, s=0.008, max_beta=0.999):
    i = torch.arange(T + 1, dtype=torch.float64)
    log_f = 2 * torch.log(torch.cos((i / T + s) / (1 + s) * (math.pi / 2)).clamp(min=0))
    ratio = torch.exp(log_f[1:] - log_f[:-1])
    return torch.minimum(1 - ratio, torch.tensor(max_beta, dtype=torch.float64))


def _gather(values, t, like):
    return values.index_select(0, t).view(-1, *([1] * (like.dim() - 1)))


def q_sample(x0, t, noise, betas):
    log_ab = torch.cumsum(torch.log1p(-betas.double()), 0)
    ab = _gather(log_ab.exp(), t, x0)
    return (ab.sqrt() * x0.double() + (1 - ab).sqrt() * noise.double()).to(x0.dtype)


def ddpm_loss(model, x0, t, noise, betas):
    return torch.nn.functional.mse_loss(model(q_sample(x0, t, noise, betas), t), noise)


def p_sample_step(eps_pred, x_t, t, z, betas, variance="posterior"):
    if variance not in ("posterior", "beta"):
        raise ValueError("variance must be 'posterior' or 'beta'")
    betas = betas.double()
    ab = torch.exp(torch.cumsum(torch.log1p(-betas), 0))
    ab_prev = torch.cat([ab.new_ones(1), ab[:-1]])
    a_t, a_prev, b_t = _gather(ab, t, x_t), _gather(ab_prev, t, x_t), _gather(betas, t, x_t)
    x, eps = x_t.double(), eps_pred.double()
    x0_hat = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
    mean = a_prev.sqrt() * b_t / (1 - a_t) * x0_hat + (1 - b_t).sqrt() * (1 - a_prev) / (1 - a_t) * x
    if variance == "posterior":
        var = b_t * (1 - a_prev) / (1 - a_t)
    else:
        var = b_t * (t > 0).view(-1, *([1] * (x_t.dim() - 1)))
    return (mean + var.sqrt() * z.double()).to(x_t.dtype)
