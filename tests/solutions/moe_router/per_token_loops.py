"""Correct alternative for moe_router: plain Python loops per token over sorted experts, float64 inside."""

import math

import torch


def route(logits, k=2, capacity_factor=None, renormalize=True):
    T, E = logits.shape
    if not (0 < k <= E):
        raise ValueError(f"k={k} out of range for {E} experts")
    probs = torch.softmax(logits.double(), -1)
    ids, weights = [], []
    for t in range(T):
        ranked = sorted(range(E), key=lambda e: -float(probs[t, e]))[:k]
        w = [probs[t, e] for e in ranked]
        if renormalize:
            total = sum(w)
            w = [x / total for x in w]
        ids.append(ranked)
        weights.append(w)
    keep = [[True] * k for _ in range(T)]
    if capacity_factor is not None:
        limit = math.ceil(capacity_factor * T * k / E)
        load = {}
        for choice in range(k):
            for t in range(T):
                e = ids[t][choice]
                load[e] = load.get(e, 0) + 1
                if load[e] > limit:
                    keep[t][choice] = False
                    weights[t][choice] = weights[t][choice] * 0.0
    gates = torch.stack([torch.stack(row) for row in weights]).to(logits.dtype)
    return torch.tensor(ids, dtype=torch.int64), gates, torch.tensor(keep)


def load_balancing_loss(logits, expert_idx):
    T, E = logits.shape
    counts = torch.zeros(E, dtype=torch.float64)
    for e in expert_idx.reshape(-1).tolist():
        counts[e] += 1
    share = counts / expert_idx.numel()
    mean_prob = torch.softmax(logits.double(), -1).sum(0) / T
    return (E * (share * mean_prob).sum()).to(logits.dtype)
