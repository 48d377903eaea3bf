"""Tensor parallelism (Megatron-LM): an MLP split over ranks, y = gelu(x W1ᵀ + b1) W2ᵀ + b2.

Weights follow torch.nn.Linear's convention: W1 (hidden, d_model), b1 (hidden,), W2 (d_model, hidden),
b2 (d_model,). hidden is divisible by the world size. The process group (gloo, CPU) is initialised;
tp_mlp runs on every rank.
"""

import torch
import torch.distributed as dist
import torch.nn.functional as F


def shard_mlp_weights(w1, b1, w2, b2, rank, world_size):
    """Return this rank's (w1_part, b1_part, w2_part, b2) as new tensors.

    First linear is column parallel: rank r keeps hidden units [r*h/N, (r+1)*h/N) —
    w1_part (hidden/N, d_model), b1_part (hidden/N,). Second linear is row parallel: w2_part keeps the
    matching input features, shape (d_model, hidden/N). b2 (d_model,) is kept whole on every rank.
    """
    raise NotImplementedError


def tp_mlp(x, w1_part, b1_part, w2_part, b2):
    """The full MLP output from this rank's shards, identical on every rank; differentiable.

    x: (..., d_model) float64, the same on every rank. Returns (..., d_model).
    Forward: no communication in the column-parallel linear, one all-reduce of the output after the
    row-parallel linear. Backward: gradients of x (and of every shard) must equal those of the
    unsharded MLP, so x's gradient needs one all-reduce.
    """
    raise NotImplementedError
