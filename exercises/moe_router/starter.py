"""Mixture-of-experts routing: top-k softmax gates, expert capacity with dropped tokens, the Switch balancing loss."""

import math

import torch


def route(logits, k=2, capacity_factor=None, renormalize=True):
    """Route T tokens to k of E experts.

    logits: (T, E) router logits. probs = softmax(logits) over all E experts; each token picks its k most
    probable experts, best first. gates = those probabilities, divided by their sum when renormalize=True.
    capacity_factor (None: unlimited): every expert takes at most ceil(capacity_factor * T * k / E) assignments,
    served in priority order: all tokens' 1st choices (token 0, 1, ...), then all 2nd choices, ...; an assignment
    that finds its expert full is dropped (keep False, gate 0; the other gates are not renormalised again).
    Raise ValueError unless 1 <= k <= E.
    Returns (expert_idx (T, k) int64, gates (T, k) float like logits and differentiable, keep (T, k) bool).
    """
    raise NotImplementedError


def load_balancing_loss(logits, expert_idx):
    """Switch-style auxiliary loss: E * sum_i f_i * P_i.

    f_i: the fraction of the T*k assignments in expert_idx (T, k) that chose expert i (a count, no gradient);
    P_i: the mean over tokens of softmax(logits)[:, i] (differentiable). Equals 1 at perfect balance.
    Returns a scalar tensor.
    """
    raise NotImplementedError
