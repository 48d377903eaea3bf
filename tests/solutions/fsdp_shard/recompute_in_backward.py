"""FSDP linear whose backward gathers the weight again and lets autograd recompute the local gradients
(checkpoint style); all_gather_into_tensor / reduce_scatter (list form) bound by import."""

import torch
import torch.nn.functional as F
from torch.distributed import all_gather_into_tensor, get_rank, get_world_size, reduce_scatter


def _full(shard, n_out, n_in):
    flat = torch.empty(shard.numel() * get_world_size(), dtype=shard.dtype)
    all_gather_into_tensor(flat, shard.detach().contiguous())
    return flat[:n_out * n_in].view(n_out, n_in), flat[n_out * n_in:n_out * (n_in + 1)]


class _Gathered(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, shard, n_out, n_in):
        ctx.save_for_backward(x, shard)
        ctx.shape = n_out, n_in
        weight, bias = _full(shard, n_out, n_in)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_y):
        x, shard = ctx.saved_tensors
        n_out, n_in = ctx.shape
        weight, bias = _full(shard, n_out, n_in)
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_() for t in (x, weight, bias)]
            y = F.linear(*leaves)
            gx, gw, gb = torch.autograd.grad(y, leaves, grad_y)
        world = get_world_size()
        flat = torch.cat([gw.reshape(-1), gb, gw.new_zeros(shard.numel() * world - gw.numel() - gb.numel())])
        mine = torch.empty_like(shard)
        reduce_scatter(mine, list(flat.split(shard.numel())))
        return gx, mine / world, None, None


class FSDPLinear:
    def __init__(self, weight, bias):
        self.n_out, self.n_in = weight.shape
        world, rank = get_world_size(), get_rank()
        flat = torch.cat([weight.detach().flatten(), bias.detach().flatten()])
        per_rank = (flat.numel() + world - 1) // world
        padded = torch.zeros(per_rank * world, dtype=flat.dtype)
        padded[:flat.numel()] = flat
        self.shard = padded[rank * per_rank:(rank + 1) * per_rank].clone().requires_grad_(True)

    def __call__(self, x):
        return _Gathered.apply(x, self.shard, self.n_out, self.n_in)
