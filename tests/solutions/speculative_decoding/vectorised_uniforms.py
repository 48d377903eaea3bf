"""Correct alternative for speculative_decoding: all K uniforms drawn up front, the first rejection found with
argmax over a mask, tokens drawn by inverse CDF."""

import torch


def residual_distribution(p, q):
    diff = (p - q).clamp_min(0.0)
    mass = diff.sum(dim=-1, keepdim=True)
    safe = torch.where(mass > 0, mass, torch.ones_like(mass))
    return torch.where(mass > 0, diff / safe, p)


def _draw(probs, generator):
    cdf = probs.double().cumsum(0)
    u = torch.rand((), generator=generator, dtype=torch.float64) * cdf[-1]
    return int(torch.searchsorted(cdf, u, right=True).clamp(max=probs.numel() - 1))


def speculative_step(p_target, q_draft, draft_tokens, generator):
    K = draft_tokens.numel()
    idx = torch.arange(K)
    ratio = p_target[idx, draft_tokens] / q_draft[idx, draft_tokens]
    u = torch.rand(K, generator=generator, dtype=torch.float64)
    rejected = u >= ratio
    if not rejected.any():
        return torch.cat([draft_tokens.to(torch.int64), torch.tensor([_draw(p_target[K], generator)])])
    k = int(rejected.to(torch.int64).argmax())
    fix = _draw(residual_distribution(p_target[k], q_draft[k]), generator)
    return torch.cat([draft_tokens[:k].to(torch.int64), torch.tensor([fix])])
