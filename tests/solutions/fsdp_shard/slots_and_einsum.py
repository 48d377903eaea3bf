"""FSDP linear with __slots__, list-form all_gather, hand-written gradients with einsum, and the
reduce-scatter done as reduce_scatter_tensor on a gradient padded with F.pad."""

import torch
import torch.distributed as dist
import torch.nn.functional as F


def _gather(shard):
    parts = [torch.zeros_like(shard) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, shard.detach())
    return torch.cat(parts)


class _Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, shard, layer):
        ctx.layer = layer  # the layer object keeps only its shard: nothing full-size rides along
        ctx.save_for_backward(x, shard)
        w, b = layer.unflatten(_gather(shard))
        return torch.einsum("...i,oi->...o", x, w) + b

    @staticmethod
    def backward(ctx, gy):
        x, shard = ctx.saved_tensors
        w, _ = ctx.layer.unflatten(_gather(shard))
        gx = torch.einsum("...o,oi->...i", gy, w)
        gw = torch.einsum("...o,...i->oi", gy, x)
        gb = gy.reshape(-1, gy.shape[-1]).sum(dim=0)
        world = dist.get_world_size()
        flat = torch.cat([gw.flatten(), gb])
        flat = F.pad(flat, (0, shard.numel() * world - flat.numel()))
        out = torch.empty_like(shard)
        dist.reduce_scatter_tensor(out, flat)
        return gx, out.div_(world), None


class FSDPLinear:
    __slots__ = ("shard", "out_features", "in_features")

    def __init__(self, weight, bias):
        self.out_features, self.in_features = weight.shape
        world = dist.get_world_size()
        flat = torch.cat([weight.reshape(-1), bias.reshape(-1)]).detach()
        per = -(-flat.numel() // world)
        flat = F.pad(flat, (0, per * world - flat.numel()))
        self.shard = flat.narrow(0, dist.get_rank() * per, per).clone().requires_grad_()

    def unflatten(self, flat):
        n_w = self.out_features * self.in_features
        return flat[:n_w].view(self.out_features, self.in_features), flat[n_w:n_w + self.out_features]

    def __call__(self, x):
        return _Fn.apply(x, self.shard, self)
