"""Reference solution for the `ddpm` exercise: noise schedules, forward noising, the ε-loss, one reverse step."""

import math

import torch

F64 = torch.float64


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    return torch.linspace(beta_start, beta_end, T, dtype=F64)


def cosine_betas(T, s=0.008, max_beta=0.999):
    steps = torch.arange(T + 1, dtype=F64)
    f = torch.cos((steps / T + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return betas.clamp(max=max_beta)


def _alpha_bar(betas):
    return torch.cumprod(1 - betas, dim=0)


def _at(schedule, t, x):
    """schedule[t] for each sample, shaped (B, 1, 1, ...) to broadcast against x, in x's dtype."""
    return schedule[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def q_sample(x0, t, noise, betas):
    alpha_bar = _alpha_bar(betas)
    return _at(alpha_bar.sqrt(), t, x0) * x0 + _at((1 - alpha_bar).sqrt(), t, x0) * noise


def ddpm_loss(model, x0, t, noise, betas):
    x_t = q_sample(x0, t, noise, betas)
    return ((model(x_t, t) - noise) ** 2).mean()


def p_sample_step(eps_pred, x_t, t, z, betas, variance="posterior"):
    alpha = 1 - betas
    alpha_bar = _alpha_bar(betas)
    mean = (x_t - _at(betas / (1 - alpha_bar).sqrt(), t, x_t) * eps_pred) / _at(alpha.sqrt(), t, x_t)
    if variance == "posterior":
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])
        var = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)
    elif variance == "beta":
        var = betas.clone()
        var[0] = 0.0  # the last reverse step returns the mean: no noise is added at t = 0
    else:
        raise ValueError(f"variance must be 'posterior' or 'beta', got {variance!r}")
    return mean + _at(var.sqrt(), t, x_t) * z
