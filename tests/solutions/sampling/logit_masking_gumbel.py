"""Correct alternative for sampling: HF-style logit masking with -inf, Gumbel-max draws, a tensor beam search."""

import torch


def _masked_logits(logits, temperature, top_k, top_p):
    z = logits.double() / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = torch.topk(z, top_k, dim=-1).values[..., -1, None]
        z = z.masked_fill(z < kth, float("-inf"))
    if top_p is not None:
        sorted_z, idx = torch.sort(z, dim=-1, descending=True)
        p = sorted_z.softmax(-1)
        drop_sorted = (p.cumsum(-1) - p) >= top_p
        drop = drop_sorted.scatter(-1, idx, drop_sorted)
        z = z.masked_fill(drop, float("-inf"))
    return z


def sample_filter(logits, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return torch.zeros(logits.shape, dtype=torch.float64).scatter_(-1, logits.argmax(-1, keepdim=True), 1.0)
    return _masked_logits(logits, temperature, top_k, top_p).softmax(-1)


def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return logits.argmax(-1)
    z = _masked_logits(logits, temperature, top_k, top_p)
    u = torch.rand(z.shape, generator=generator, dtype=torch.float64).clamp_min(1e-300)
    return (z - torch.log(-torch.log(u))).argmax(-1)


def beam_search(step_logprobs, bos, eos, beam_width, max_len, length_penalty=0.0):
    seqs, scores, finished = [[bos]], torch.zeros(1, dtype=torch.float64), []
    for _ in range(max_len):
        table = torch.stack([step_logprobs(tuple(s)).double() for s in seqs]) + scores[:, None]
        n_vocab = table.shape[1]
        top = torch.topk(table.flatten(), min(beam_width, table.numel()))
        new_seqs, new_scores = [], []
        for value, flat in zip(top.values.tolist(), top.indices.tolist()):
            seq = seqs[flat // n_vocab] + [flat % n_vocab]
            if seq[-1] == eos:
                finished.append((seq, value))
            else:
                new_seqs.append(seq)
                new_scores.append(value)
        if not new_seqs:
            break
        seqs, scores = new_seqs, torch.tensor(new_scores, dtype=torch.float64)
    else:
        finished += list(zip(seqs, scores.tolist()))
    out = [(s[1:], v / (len(s) - 1) ** length_penalty) for s, v in finished]
    return sorted(out, key=lambda h: -h[1])
