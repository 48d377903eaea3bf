"""Correct alternative for vae_loss: KL in the σ² form, BCE as softplus(z) − x·z, reductions by reshape."""

import torch
import torch.nn.functional as F


def reparameterize(mu, logvar, eps):
    sigma = torch.sqrt(torch.exp(logvar))
    return torch.addcmul(mu, sigma, eps)


def kl_standard_normal(mu, logvar):
    per_dim = 0.5 * (logvar.exp() + mu * mu - 1.0 - logvar)
    return per_dim.reshape(per_dim.shape[0], -1).sum(-1)


def vae_loss(recon, x, mu, logvar, beta=1.0, likelihood="bernoulli"):
    if likelihood == "bernoulli":
        nll = F.softplus(recon) - x * recon
    elif likelihood == "gaussian":
        nll = (recon - x).pow(2) / 2
    else:
        raise ValueError(f"unknown likelihood {likelihood!r}")
    batch = x.shape[0]
    rec = nll.reshape(batch, -1).sum() / batch
    kl = kl_standard_normal(mu, logvar).sum() / batch
    return rec + beta * kl, rec, kl
