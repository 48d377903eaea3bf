"""ZeRO stage 1: data-parallel Adam whose optimizer state is split over the ranks.

Every rank holds all parameters (replicated) and computes gradients on its own data. The process group
(gloo, CPU) is initialised; the class is built and used on every rank. Any torch.distributed
collective may be used.
"""

import torch
import torch.distributed as dist


class ZeroAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        """params: list of float tensors (requires_grad leaves), identical on every rank.

        Keep Adam's two moment buffers only for this rank's shard: about numel / world_size elements
        each, where numel is the total number of parameter elements. The suite counts the elements of
        every tensor this object holds (attributes, lists, dicts), the parameters themselves excepted.
        """
        raise NotImplementedError

    def step(self):
        """One Adam step (with bias correction, no weight decay) on every rank.

        Each p.grad holds THIS rank's gradient (computed on its own data). The update must use the
        gradient averaged over ranks, and afterwards every rank's parameters (updated in place) must
        equal those of torch.optim.Adam stepping on the averaged gradient.
        """
        raise NotImplementedError
