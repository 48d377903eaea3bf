"""Correct alternative for ddpm: Python-float schedules and one sample at a time in the reverse step."""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    if T == 1:
        return torch.tensor([beta_start], dtype=torch.float64)
    step = (beta_end - beta_start) / (T - 1)
    return torch.tensor([beta_start + i * step for i in range(T)], dtype=torch.float64)


def cosine_betas(T, s=0.008, max_beta=0.999):
    def f(i):
        return math.cos((i / T + s) / (1 + s) * math.pi / 2) ** 2
    return torch.tensor([min(1 - f(i) / f(i - 1), max_beta) for i in range(1, T + 1)], dtype=torch.float64)


def alpha_bars(betas):
    out, prod = [], 1.0
    for b in betas.tolist():
        prod *= 1 - b
        out.append(prod)
    return out


def q_sample(x0, t, noise, betas):
    ab = alpha_bars(betas)
    rows = [math.sqrt(ab[k]) * x0[i] + math.sqrt(1 - ab[k]) * noise[i] for i, k in enumerate(t.tolist())]
    return torch.stack(rows)


def ddpm_loss(model, x0, t, noise, betas):
    diff = model(q_sample(x0, t, noise, betas), t) - noise
    return (diff * diff).sum() / diff.numel()


def p_sample_step(eps_pred, x_t, t, z, betas, variance="posterior"):
    if variance not in ("posterior", "beta"):
        raise ValueError(f"unknown variance {variance!r}")
    ab, b = alpha_bars(betas), betas.tolist()
    rows = []
    for i, k in enumerate(t.tolist()):
        mean = (x_t[i] - b[k] / math.sqrt(1 - ab[k]) * eps_pred[i]) / math.sqrt(1 - b[k])
        prev = ab[k - 1] if k > 0 else 1.0
        var = b[k] * (1 - prev) / (1 - ab[k]) if variance == "posterior" else (b[k] if k > 0 else 0.0)
        rows.append(mean + math.sqrt(var) * z[i])
    return torch.stack(rows)
