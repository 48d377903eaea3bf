"""Correct alternative for sampling: per-row numpy filtering, inverse-CDF draws from torch.rand(generator),
beam search that keeps a dict of hypotheses."""

import numpy as np
import torch


def _filter_row(z, temperature, top_k, top_p):
    if temperature == 0:
        p = np.zeros(len(z))
        p[int(np.argmax(z))] = 1.0
        return p
    z = z / temperature
    p = np.exp(z - z.max())
    p = p / p.sum()
    ranked = sorted(range(len(p)), key=lambda i: -p[i])
    keep = set(ranked if top_k is None else ranked[:top_k])
    if top_p is not None:
        total = sum(p[i] for i in keep)
        mass, chosen = 0.0, set()
        for i in [r for r in ranked if r in keep]:
            if mass >= top_p:
                break
            chosen.add(i)
            mass += p[i] / total
        keep = chosen
    out = np.array([p[i] if i in keep else 0.0 for i in range(len(p))])
    return out / out.sum()


def sample_filter(logits, temperature=1.0, top_k=None, top_p=None):
    z = logits.detach().double().cpu().numpy()
    rows = [_filter_row(r, temperature, top_k, top_p) for r in z.reshape(-1, z.shape[-1])]
    return torch.tensor(np.array(rows).reshape(z.shape), dtype=torch.float64)


def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
    probs = sample_filter(logits, temperature, top_k, top_p)
    cdf = probs.cumsum(-1)
    u = torch.rand(probs.shape[:-1] + (1,), generator=generator, dtype=torch.float64)
    idx = (cdf <= u * cdf[..., -1:]).sum(-1)
    return idx.clamp(max=probs.shape[-1] - 1).to(torch.int64)


def beam_search(step_logprobs, bos, eos, beam_width, max_len, length_penalty=0.0):
    beams = {(bos,): 0.0}
    done = {}
    for _ in range(max_len):
        scored = {}
        for prefix, s in beams.items():
            lp = step_logprobs(prefix)
            for tok in range(lp.shape[0]):
                scored[prefix + (tok,)] = s + lp[tok].item()
        best = sorted(scored.items(), key=lambda kv: kv[1], reverse=True)[:beam_width]
        beams = {}
        for seq, s in best:
            if seq[-1] == eos:
                done[seq] = s
            else:
                beams[seq] = s
        if not beams:
            break
    done.update(beams)
    result = [(list(seq[1:]), s / float(len(seq) - 1) ** length_penalty) for seq, s in done.items()]
    result.sort(key=lambda r: r[1], reverse=True)
    return result
