"""Decoding strategies: temperature, top-k, top-p (nucleus), seeded sampling, and beam search."""

import torch


def sample_filter(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution to sample the next token from.

    logits: (..., V) float tensor. Returns (..., V) float64 probabilities (each row sums to 1):
      1. temperature: softmax(logits / temperature); temperature 0 means greedy (all mass on the argmax).
      2. top_k (None: off): keep the k most probable tokens, renormalise.
      3. top_p (None: off): keep the smallest set of most probable tokens whose total probability is >= top_p
         (a token is kept when the mass ranked above it is < top_p), renormalise.
    """
    raise NotImplementedError


def sample(logits, generator, temperature=1.0, top_k=None, top_p=None):
    """Draw one token per row of (..., V) logits from sample_filter's distribution.

    generator: a torch.Generator; every random draw must use it (the same seed gives the same tokens).
    Returns (...,) int64 token ids.
    """
    raise NotImplementedError


def beam_search(step_logprobs, bos, eos, beam_width, max_len, length_penalty=0.0):
    """Beam search over a model given as step_logprobs(prefix: tuple of ints) -> (V,) log-probabilities.

    Start from the hypothesis (bos,) with score 0. At each of at most max_len steps, extend every live hypothesis
    by every token, keep the beam_width extensions with the highest summed log-probability (over all live
    hypotheses together); kept ones ending in eos are finished, the rest stay live. Stop when none is live;
    after max_len steps the live ones count as finished too.
    Returns [(tokens, score), ...] for every finished hypothesis, best score first, where tokens is the list of
    generated tokens (without bos, with eos if any) and score = summed log-prob / len(tokens) ** length_penalty.
    """
    raise NotImplementedError
