"""Correct alternative for speculative_decoding: min(1, p/q) written out, a list of accepted tokens, float64."""

import torch


def residual_distribution(p, q):
    p64, q64 = p.double(), q.double()
    pos = torch.maximum(p64 - q64, torch.zeros_like(p64))
    norm = pos.sum(-1, keepdim=True)
    return torch.where(norm == 0, p64, pos / norm.clamp_min(1e-300)).to(p.dtype)


def speculative_step(p_target, q_draft, draft_tokens, generator):
    emitted = []
    for k in range(draft_tokens.shape[0]):
        x = int(draft_tokens[k])
        accept_prob = min(1.0, float(p_target[k, x]) / float(q_draft[k, x]))
        if float(torch.rand(1, generator=generator, dtype=torch.float64)) < accept_prob:
            emitted.append(x)
        else:
            residual = residual_distribution(p_target[k], q_draft[k])
            emitted.append(int(torch.multinomial(residual, 1, generator=generator)[0]))
            break
    else:
        emitted.append(int(torch.multinomial(p_target[-1], 1, generator=generator)[0]))
    return torch.tensor(emitted, dtype=torch.int64)
