"""Tensor-parallel MLP without autograd Functions: the forward sum is grafted on with the detach trick
(value of the sum, gradient of the identity) and x's gradient is all-reduced by a tensor hook."""

import torch
import torch.distributed as dist
import torch.nn.functional as F


def shard_mlp_weights(w1, b1, w2, b2, rank, world_size):
    w1_parts, b1_parts = w1.chunk(world_size, dim=0), b1.chunk(world_size)
    w2_parts = w2.chunk(world_size, dim=1)
    return w1_parts[rank].clone(), b1_parts[rank].clone(), w2_parts[rank].clone(), b2.clone()


def _sum_over_ranks(grad):
    grad = grad.clone()
    dist.all_reduce(grad)
    return grad


def tp_mlp(x, w1_part, b1_part, w2_part, b2):
    inp = x * 1.0  # a node of our own, so the hook changes only the gradient that flows back to x
    if inp.requires_grad:
        inp.register_hook(_sum_over_ranks)
    partial = F.linear(F.gelu(inp @ w1_part.T + b1_part), w2_part)
    with torch.no_grad():
        total = partial.clone()
        dist.all_reduce(total)
    return partial + (total - partial).detach() + b2
