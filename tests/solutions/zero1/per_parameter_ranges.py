"""ZeRO-1 Adam that never builds a padded flat copy of the parameters: each rank works out which element
ranges of which parameters it owns, reduce-scatters (list form) the gradient, and every owner broadcasts
its updated range to the others."""

import torch
import torch.distributed as dist


class ZeroAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.hyper = {"lr": lr, "betas": betas, "eps": eps}
        self.world, self.rank = dist.get_world_size(), dist.get_rank()
        self.total = sum(p.numel() for p in self.params)
        self.per = (self.total + self.world - 1) // self.world
        dtype = self.params[0].dtype
        self.moments = {"exp_avg": torch.zeros(self.per, dtype=dtype), "exp_avg_sq": torch.zeros(self.per, dtype=dtype)}
        self.count = 0

    def _owned(self, rank):
        """(parameter, start, stop, offset in the shard) for every piece of `rank`'s range [r·per, (r+1)·per)."""
        lo, hi = rank * self.per, min((rank + 1) * self.per, self.total)
        pieces, start = [], 0
        for p in self.params:
            a, b = max(lo, start), min(hi, start + p.numel())
            if a < b:
                pieces.append((p, a - start, b - start, a - lo))
            start += p.numel()
        return pieces

    def _chunk(self, rank, source):
        out = torch.zeros(self.per, dtype=self.params[0].dtype)
        for p, a, b, o in self._owned(rank):
            out[o:o + b - a] = source(p).reshape(-1)[a:b]
        return out

    @torch.no_grad()
    def step(self):
        g = torch.empty(self.per, dtype=self.params[0].dtype)
        dist.reduce_scatter(g, [self._chunk(r, lambda p: p.grad) for r in range(self.world)])
        g /= self.world
        self.count += 1
        (b1, b2), lr, eps = self.hyper["betas"], self.hyper["lr"], self.hyper["eps"]
        m, v = self.moments["exp_avg"], self.moments["exp_avg_sq"]
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        update = (m / (1 - b1 ** self.count)) / ((v / (1 - b2 ** self.count)).sqrt() + eps)
        for owner in range(self.world):
            piece = self._chunk(owner, lambda p: p)
            if owner == self.rank:
                piece -= lr * update
            dist.broadcast(piece, src=owner)
            for p, a, b, o in self._owned(owner):
                p.view(-1)[a:b] = piece[o:o + b - a]
