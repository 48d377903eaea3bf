"""Reference solution for the `sampling` exercise: temperature, top-k, top-p, seeded sampling and beam search."""

import torch


def sample_filter(logits, temperature=1.0, top_k=None, top_p=None):
    """(..., V) logits -> (..., V) float64 probabilities to sample from (temperature, then top-k, then top-p)."""
    logits = logits.double()
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).double()
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_k is not None:
        kth = probs.topk(min(top_k, probs.shape[-1]), dim=-1).values[..., -1:]
        probs = torch.where(probs >= kth, probs, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    if top_p is not None:
        sorted_p, order = probs.sort(dim=-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p  # mass of the tokens ranked above each one
        keep_sorted = before < top_p  # the token that crosses top_p is kept
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        probs = torch.where(keep, probs, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
    """(..., V) logits -> (...,) int64 token ids drawn with `generator`."""
    probs = sample_filter(logits, temperature, top_k, top_p)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


def beam_search(step_logprobs, bos, eos, beam_width, max_len, length_penalty=0.0):
    """Finished hypotheses [(tokens after bos, score)], best first. See the prompt for the exact rules."""
    live, finished = [((bos,), 0.0)], []
    for _ in range(max_len):
        candidates = []
        for seq, total in live:
            logp = step_logprobs(seq)
            candidates += [(seq + (tok,), total + float(logp[tok])) for tok in range(len(logp))]
        candidates.sort(key=lambda c: c[1], reverse=True)
        live = []
        for seq, total in candidates[:beam_width]:
            (finished if seq[-1] == eos else live).append((seq, total))
        if not live:
            break
    finished += live
    scored = [(list(seq[1:]), total / (len(seq) - 1) ** length_penalty) for seq, total in finished]
    return sorted(scored, key=lambda s: s[1], reverse=True)
