"""Updated shards never all-gathered: each rank only sees its own shard change."""

import torch
import torch.distributed as dist
import torch.nn.functional as F


class ZeroAdam:
    """Adam (no weight decay) for replicated parameters; each rank keeps state for 1/N of them."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.total = sum(p.numel() for p in self.params)
        self.shard = -(-self.total // self.world)  # ceil: the flat vector is padded to shard * world
        dtype = self.params[0].dtype
        self.exp_avg = torch.zeros(self.shard, dtype=dtype)     # moments of this rank's shard only
        self.exp_avg_sq = torch.zeros(self.shard, dtype=dtype)
        self.steps = 0

    def _flat(self, tensors):
        flat = torch.cat([t.reshape(-1) for t in tensors])
        return F.pad(flat, (0, self.shard * self.world - self.total))

    @torch.no_grad()
    def step(self):
        # 1. Average the gradients, keeping only this rank's shard (reduce-scatter, then / N).
        grad = torch.empty(self.shard, dtype=self.exp_avg.dtype)
        dist.reduce_scatter_tensor(grad, self._flat([p.grad for p in self.params]))
        grad /= self.world

        # 2. Adam on the shard.
        self.steps += 1
        beta1, beta2 = self.betas
        self.exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        m_hat = self.exp_avg / (1 - beta1 ** self.steps)
        v_hat = self.exp_avg_sq / (1 - beta2 ** self.steps)
        start = self.rank * self.shard
        shard = self._flat(self.params)[start:start + self.shard]
        shard -= self.lr * m_hat / (v_hat.sqrt() + self.eps)

        # 3. All-gather the updated shards so every rank has every parameter again.
        flat = self._flat(self.params)
        flat[start:start + self.shard] = shard
        flat = flat[:self.total]
        offset = 0
        for p in self.params:
            p.copy_(flat[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
