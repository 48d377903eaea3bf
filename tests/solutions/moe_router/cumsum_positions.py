"""Correct alternative for moe_router: GShard-style positions in each expert by a cumulative sum over the
priority-ordered one-hot assignments; the loss from one-hot means."""

import math

import torch
import torch.nn.functional as F


def route(logits, k=2, capacity_factor=None, renormalize=True):
    T, E = logits.shape
    if k < 1 or k > E:
        raise ValueError("need 1 <= k <= number of experts")
    probs = F.softmax(logits, dim=1)
    gates, idx = torch.topk(probs, k, dim=1)
    if renormalize:
        gates = gates / gates.sum(dim=1, keepdim=True)
    if capacity_factor is None:
        return idx, gates, torch.ones(T, k, dtype=torch.bool)
    cap = math.ceil(capacity_factor * T * k / E)
    onehot = F.one_hot(idx.t().reshape(-1), E)            # (k·T, E), rows: choice j of token t at j·T + t
    position = (onehot.cumsum(0) * onehot).sum(1) - 1     # 0-based slot taken in the chosen expert
    keep = (position < cap).reshape(k, T).t()
    return idx, torch.where(keep, gates, torch.zeros_like(gates)), keep


def load_balancing_loss(logits, expert_idx):
    T, E = logits.shape
    assignments = F.one_hot(expert_idx, E).to(logits.dtype)   # (T, k, E)
    f = assignments.mean(dim=(0, 1))
    return E * torch.dot(f, F.softmax(logits, dim=1).mean(dim=0))
