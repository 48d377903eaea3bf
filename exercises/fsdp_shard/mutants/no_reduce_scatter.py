"""Each rank slices its own local gradient: no reduction over ranks."""

import torch
import torch.distributed as dist
import torch.nn.functional as F


def _gather_full(shard: torch.Tensor, numel: int) -> torch.Tensor:
    """All ranks' shards concatenated (padding dropped): the full flat parameter."""
    pieces = [torch.empty_like(shard) for _ in range(dist.get_world_size())]
    dist.all_gather(pieces, shard.detach())
    return torch.cat(pieces)[:numel]


class _ShardedLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, shard, out_features, in_features):
        numel = out_features * (in_features + 1)
        flat = _gather_full(shard, numel)
        weight = flat[:out_features * in_features].view(out_features, in_features)
        bias = flat[out_features * in_features:]
        ctx.save_for_backward(x, shard)  # only the shard: the full weight is freed when we return
        ctx.dims = (out_features, in_features)
        return F.linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_y):
        x, shard = ctx.saved_tensors
        out_features, in_features = ctx.dims
        numel = out_features * (in_features + 1)
        weight = _gather_full(shard, numel)[:out_features * in_features].view(out_features, in_features)
        grad_x = grad_y @ weight                                   # re-gathered, then freed again
        grad_w = grad_y.reshape(-1, out_features).T @ x.reshape(-1, in_features)
        grad_b = grad_y.reshape(-1, out_features).sum(0)
        grad_flat = F.pad(torch.cat([grad_w.reshape(-1), grad_b]), (0, shard.numel() * dist.get_world_size() - numel))
        size, rank = shard.numel(), dist.get_rank()
        return grad_x, grad_flat[rank * size:(rank + 1) * size], None, None


class FSDPLinear:
    """y = x Wᵀ + b where each rank stores only its 1/N slice of the flat parameter [W.flatten(), b]."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        rank, world = dist.get_rank(), dist.get_world_size()
        self.out_features, self.in_features = weight.shape
        flat = torch.cat([weight.detach().reshape(-1), bias.detach()])
        size = -(-flat.numel() // world)
        flat = F.pad(flat, (0, size * world - flat.numel()))
        self.shard = flat[rank * size:(rank + 1) * size].clone().requires_grad_()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return _ShardedLinear.apply(x, self.shard, self.out_features, self.in_features)
