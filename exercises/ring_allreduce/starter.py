"""Ring all-reduce from point-to-point messages only (the algorithm behind DDP's gradient sync).

Runs on EVERY rank; the process group (gloo, CPU) is already initialised. Allowed communication:
torch.distributed.send / recv / isend / irecv (and batch_isend_irecv with P2POp). No collectives.
"""

import torch
import torch.distributed as dist


def ring_allreduce(tensor: torch.Tensor) -> torch.Tensor:
    """Sum `tensor` element-wise over all ranks, IN PLACE, like dist.all_reduce(tensor); return it.

    tensor: any shape (contiguous), float32, float64 or int64; the same shape and dtype on every
    rank; numel need not be divisible by the world size (it may even be smaller).
    Algorithm: split the flattened tensor into world_size chunks; reduce-scatter around the ring
    (world_size - 1 steps), then all-gather around the ring (world_size - 1 steps). Each rank sends
    only to rank (r + 1) % world_size and receives only from rank (r - 1) % world_size.
    """
    raise NotImplementedError
