"""Reference solution for the `speculative_decoding` exercise: draft-then-verify with rejection sampling."""

import torch


def residual_distribution(p, q):
    """norm(max(0, p - q)) over the last axis; p itself where p <= q everywhere (then no rejection can happen)."""
    r = torch.clamp(p - q, min=0)
    total = r.sum(-1, keepdim=True)
    return torch.where(total > 0, r / total.clamp_min(torch.finfo(r.dtype).tiny), p)


def speculative_step(p_target, q_draft, draft_tokens, generator):
    """p_target (K+1, V), q_draft (K, V), draft_tokens (K,) -> the emitted tokens (n_accepted + 1,) int64."""
    out = []
    for k, x in enumerate(draft_tokens.tolist()):
        u = torch.rand((), generator=generator, dtype=torch.float64)
        if u < p_target[k, x] / q_draft[k, x]:  # accept with probability min(1, p/q)
            out.append(x)
            continue
        fix = torch.multinomial(residual_distribution(p_target[k], q_draft[k]), 1, generator=generator)
        out.append(int(fix))
        return torch.tensor(out, dtype=torch.int64)
    bonus = torch.multinomial(p_target[len(out)], 1, generator=generator)  # every draft accepted: one more token
    out.append(int(bonus))
    return torch.tensor(out, dtype=torch.int64)
