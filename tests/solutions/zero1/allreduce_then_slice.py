"""ZeRO-1 Adam that averages with all_reduce (a temporary full-size buffer local to step) and shares the
updated shards with all_gather_into_tensor; the moments live in a __slots__ object."""

import math

import torch
import torch.distributed as dist


class _Moments:
    __slots__ = ("m", "v", "t")

    def __init__(self, n, dtype):
        self.m = torch.zeros(n, dtype=dtype)
        self.v = torch.zeros(n, dtype=dtype)
        self.t = 0


class ZeroAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        world = dist.get_world_size()
        total = sum(p.numel() for p in self.params)
        self.per_rank = math.ceil(total / world)
        self.lo = dist.get_rank() * self.per_rank
        self.state = _Moments(self.per_rank, self.params[0].dtype)

    def _padded(self, tensors):
        world = dist.get_world_size()
        out = torch.zeros(self.per_rank * world, dtype=self.params[0].dtype)
        torch.cat([t.reshape(-1) for t in tensors], out=out[:sum(t.numel() for t in tensors)])
        return out

    @torch.no_grad()
    def step(self):
        world = dist.get_world_size()
        grads = self._padded([p.grad for p in self.params])
        dist.all_reduce(grads)
        g = grads[self.lo:self.lo + self.per_rank] / world
        s = self.state
        s.t += 1
        s.m.lerp_(g, 1 - self.b1)
        s.v.mul_(self.b2).add_((1 - self.b2) * g * g)
        step_size = self.lr / (1 - self.b1 ** s.t)
        denom = (s.v / (1 - self.b2 ** s.t)).sqrt() + self.eps
        mine = self._padded(self.params)[self.lo:self.lo + self.per_rank] - step_size * s.m / denom
        full = torch.empty(self.per_rank * world, dtype=mine.dtype)
        dist.all_gather_into_tensor(full, mine.contiguous())
        offset = 0
        for p in self.params:
            p.copy_(full[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
