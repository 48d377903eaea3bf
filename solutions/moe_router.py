"""Reference solution for the `moe_router` exercise: top-k softmax routing with expert capacity, Switch aux loss."""

import math

import torch


def route(logits, k=2, capacity_factor=None, renormalize=True):
    """logits (T, E) -> expert ids (T, k), gates (T, k) (0 where dropped), keep (T, k) bool."""
    T, E = logits.shape
    if not 1 <= k <= E:
        raise ValueError(f"k={k} must be between 1 and the number of experts {E}")
    probs = torch.softmax(logits, dim=-1)
    gates, idx = probs.topk(k, dim=-1)
    if renormalize:
        gates = gates / gates.sum(-1, keepdim=True)
    keep = torch.ones_like(idx, dtype=torch.bool)
    if capacity_factor is not None:
        capacity = math.ceil(capacity_factor * T * k / E)
        used = [0] * E
        for j in range(k):  # every token's first choice is served before any second choice
            for t in range(T):
                e = int(idx[t, j])
                if used[e] < capacity:
                    used[e] += 1
                else:
                    keep[t, j] = False
    return idx, gates * keep, keep


def load_balancing_loss(logits, expert_idx):
    """Switch-style auxiliary loss E · Σ_i f_i · P_i; 1 when perfectly balanced."""
    T, E = logits.shape
    k = expert_idx.shape[1]
    probs = torch.softmax(logits, dim=-1)
    counts = torch.bincount(expert_idx.flatten(), minlength=E)
    f = counts.to(probs.dtype) / (T * k)  # fraction of the T·k assignments, not differentiable
    P = probs.mean(0)  # mean router probability, carries the gradient
    return E * (f * P).sum()
