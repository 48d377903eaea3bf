"""DDPM (Ho et al., 2020): noise schedules, forward noising q(x_t | x_0), the ε-prediction loss and one
reverse (ancestral sampling) step.

Index convention: a schedule is a float64 tensor `betas` of shape (T,); timestep tensors `t` are int64
of shape (B,) with values in [0, T); `betas[t]` is the paper's β_(t+1). With α = 1 − β and
ᾱ[t] = α[0]·α[1]···α[t] (the product INCLUDES α[t]), ᾱ_prev[t] = ᾱ[t − 1] and ᾱ_prev[0] = 1.
Tensors x have shape (B, ...) and any float dtype; results keep the dtype of x.
"""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    """(T,) float64: T evenly spaced values from beta_start to beta_end, both included."""
    raise NotImplementedError


def cosine_betas(T, s=0.008, max_beta=0.999):
    """(T,) float64 cosine schedule (Nichol & Dhariwal, 2021).

    f(i) = cos²(((i / T) + s) / (1 + s) · π / 2) for i = 0..T;  ᾱ_i = f(i) / f(0);
    betas[i − 1] = min(1 − ᾱ_i / ᾱ_(i−1), max_beta) for i = 1..T.
    """
    raise NotImplementedError


def q_sample(x0, t, noise, betas):
    """x_t = √ᾱ[t] · x0 + √(1 − ᾱ[t]) · noise, per sample.

    x0, noise: (B, ...) same shape and dtype; t: (B,) int64; betas: (T,) float64. Returns (B, ...), dtype of x0.
    """
    raise NotImplementedError


def ddpm_loss(model, x0, t, noise, betas):
    """The simplified DDPM loss: mean over ALL elements of (model(x_t, t) − noise)², x_t = q_sample(...).

    model: a callable (x_t (B, ...), t (B,)) -> (B, ...). Returns a 0-dim tensor, differentiable w.r.t. the
    model's parameters.
    """
    raise NotImplementedError


def p_sample_step(eps_pred, x_t, t, z, betas, variance="posterior"):
    """One reverse step x_t -> x_(t−1) = μ + σ · z.

    μ = (x_t − β[t] / √(1 − ᾱ[t]) · eps_pred) / √α[t].
    variance="posterior": σ² = β̃[t] = β[t] · (1 − ᾱ_prev[t]) / (1 − ᾱ[t]);
    variance="beta": σ² = β[t], except σ = 0 where t == 0 (the last step returns μ).
    Anything else: ValueError.
    eps_pred, x_t, z: (B, ...) same shape and dtype; t: (B,) int64. Returns (B, ...), dtype of x_t.
    """
    raise NotImplementedError
