"""VAE training loss (Kingma & Welling, 2014): reparameterised sample, closed-form KL to N(0, I), β-weighting.

The encoder outputs mu and logvar = log σ² (a log-variance, not a standard deviation).
Batch-first everywhere: dim 0 is the batch, every other dim is summed per sample.
"""

import torch
import torch.nn.functional as F


def reparameterize(mu, logvar, eps):
    """z = μ + σ·ε with σ = exp(½·logvar); differentiable w.r.t. mu and logvar.

    mu, logvar, eps: (B, ...) same shape and float dtype (eps ~ N(0, I), passed in). Returns (B, ...).
    """
    raise NotImplementedError


def kl_standard_normal(mu, logvar):
    """KL(N(μ, diag σ²) ‖ N(0, I)) per sample, summed over all latent dims: returns (B,)."""
    raise NotImplementedError


def vae_loss(recon, x, mu, logvar, beta=1.0, likelihood="bernoulli"):
    """Negative ELBO with a β-weighted KL: returns (loss, reconstruction, kl), three 0-dim tensors.

    reconstruction = batch mean of the per-sample negative log-likelihood summed over all features of x:
      likelihood="bernoulli": recon are LOGITS (B, ...) and x in [0, 1]; NLL = binary cross-entropy with logits;
      likelihood="gaussian": recon are means, unit variance; NLL = ½·(recon − x)² (constant dropped);
      anything else: ValueError.
    kl = batch mean of kl_standard_normal(mu, logvar);  loss = reconstruction + beta · kl.
    """
    raise NotImplementedError
