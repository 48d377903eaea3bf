"""Speculative decoding: verify a cheap draft model's tokens against the target model by rejection sampling."""

import torch


def residual_distribution(p, q):
    """norm(max(0, p - q)) along the last axis (p, q: (..., V) probabilities).

    Where p <= q everywhere (e.g. p == q) the residual is empty: return p there (no rejection can happen).
    """
    raise NotImplementedError


def speculative_step(p_target, q_draft, draft_tokens, generator):
    """One draft-then-verify step.

    q_draft: (K, V) the draft model's distributions; draft_tokens: (K,) int64, token k was drawn from q_draft[k].
    p_target: (K + 1, V) the target model's distributions at the same K positions and one after the last draft.
    For k = 0, 1, ...: accept draft_tokens[k] with probability min(1, p[k, x] / q[k, x]) (a uniform from generator);
    on the first rejection emit one token drawn from residual_distribution(p[k], q[k]) and stop; if all K are
    accepted, emit one more token drawn from p_target[K]. Every random number comes from `generator`.
    Returns the emitted tokens, an int64 tensor of length n_accepted + 1.
    """
    raise NotImplementedError
