"""Only the reduce-scatter phase: each rank ends with one fully reduced chunk, the rest are partial sums."""

import torch
import torch.distributed as dist


def _exchange(send: torch.Tensor, recv: torch.Tensor, to: int, frm: int) -> None:
    """Send `send` to rank `to` while receiving `recv` from rank `frm` (no rank waits on itself)."""
    request = dist.isend(send.contiguous(), dst=to)
    dist.recv(recv, src=frm)
    request.wait()


def ring_allreduce(tensor: torch.Tensor) -> torch.Tensor:
    """Sum `tensor` over all ranks, in place, like dist.all_reduce; returns it."""
    rank, world = dist.get_rank(), dist.get_world_size()
    if world == 1:
        return tensor
    nxt, prev = (rank + 1) % world, (rank - 1) % world
    flat = tensor.view(-1)
    chunks = flat.tensor_split(world)  # views; sizes differ by at most one

    # Reduce-scatter: after world-1 steps, rank r holds the full sum of chunk (r + 1) % world.
    for step in range(world - 1):
        send_idx, recv_idx = (rank - step) % world, (rank - step - 1) % world
        incoming = torch.empty_like(chunks[recv_idx])
        _exchange(chunks[send_idx], incoming, nxt, prev)
        chunks[recv_idx].add_(incoming)

    return tensor
