"""Fully sharded data parallel (FSDP / ZeRO-3) for one linear layer.

The process group (gloo, CPU) is initialised; FSDPLinear is built and called on every rank. Each rank
feeds its own data (data parallelism), but stores only 1/N of the layer's parameters.
"""

import torch
import torch.distributed as dist
import torch.nn.functional as F


class FSDPLinear:
    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        """weight (out, in), bias (out,): the full parameters, identical on every rank (float64).

        Keep only this rank's shard, as `self.shard`: a 1-D leaf tensor with requires_grad=True.
        Layout: flat = cat([weight.reshape(-1), bias]) zero-padded at the end to a multiple of
        world_size; rank r keeps flat[r*s:(r+1)*s] with s = ceil(flat.numel() / world_size).
        Keep no full-size tensor on the object.
        """
        raise NotImplementedError

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """y = x @ weightᵀ + bias for x (..., in) -> (..., out), differentiable w.r.t. x and self.shard.

        Forward: all-gather the full parameter, compute, and do not keep it (don't save it for backward).
        Backward: gather it again to compute x's gradient; the full parameter's gradient is
        reduce-scattered, so that self.shard.grad = this rank's slice of the gradient AVERAGED over ranks.
        """
        raise NotImplementedError
