"""Reference: Megatron-style tensor-parallel MLP, y = gelu(x W1ᵀ + b1) W2ᵀ + b2."""

import torch
import torch.distributed as dist
import torch.nn.functional as F


def shard_mlp_weights(w1, b1, w2, b2, rank, world_size):
    """This rank's pieces: W1/b1 split by output features (column parallel), W2 by input features (row parallel)."""
    rows = w1.shape[0] // world_size
    part = slice(rank * rows, (rank + 1) * rows)
    return w1[part].clone(), b1[part].clone(), w2[:, part].clone(), b2.clone()


class _CopyToParallel(torch.autograd.Function):
    """Identity forward; backward sums the input gradient over ranks (each rank saw the full x)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class _ReduceFromParallel(torch.autograd.Function):
    """Forward sums the partial outputs over ranks; backward is the identity (y is replicated)."""

    @staticmethod
    def forward(ctx, partial):
        total = partial.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad):
        return grad


def tp_mlp(x, w1_part, b1_part, w2_part, b2):
    """Full MLP output (identical on every rank) from this rank's shards; differentiable."""
    x = _CopyToParallel.apply(x)
    hidden = F.gelu(F.linear(x, w1_part, b1_part))  # column parallel: no communication
    partial = F.linear(hidden, w2_part)             # row parallel: a partial sum of the output
    return _ReduceFromParallel.apply(partial) + b2  # bias once, after the sum
