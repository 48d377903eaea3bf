"""Collectives from send/recv with other topologies: a chain broadcast, rings for all_gather and reduce_scatter."""

import torch
import torch.distributed as dist


def _rank_world():
    return dist.get_rank(), dist.get_world_size()


def broadcast(tensor, src):
    rank, world = _rank_world()
    position = (rank - src) % world  # distance from the root along the chain
    if position > 0:
        dist.recv(tensor, src=(rank - 1) % world)
    if position < world - 1:
        dist.isend(tensor, dst=(rank + 1) % world).wait()


def scatter(output, scatter_list, src):
    rank, world = _rank_world()
    if rank != src:
        dist.irecv(output, src=src).wait()
        return
    works = [dist.isend(scatter_list[r].contiguous(), dst=r) for r in range(world) if r != src]
    output.copy_(scatter_list[src])
    for work in works:
        work.wait()


def gather(tensor, gather_list, dst):
    rank, world = _rank_world()
    if rank != dst:
        dist.isend(tensor.contiguous(), dst=dst).wait()
        return
    works = [dist.irecv(gather_list[r], src=r) for r in range(world) if r != dst]
    gather_list[dst].copy_(tensor)
    for work in works:
        work.wait()


def _ring_step(outgoing, incoming):
    rank, world = _rank_world()
    send = dist.isend(outgoing.contiguous(), dst=(rank + 1) % world)
    dist.recv(incoming, src=(rank - 1) % world)
    send.wait()


def all_gather(tensor_list, tensor):
    rank, world = _rank_world()
    tensor_list[rank].copy_(tensor)
    for step in range(world - 1):  # pass each rank's tensor once around the ring
        _ring_step(tensor_list[(rank - step) % world], tensor_list[(rank - step - 1) % world])


def reduce_scatter(output, input_list):
    rank, world = _rank_world()
    acc = [t.clone() for t in input_list]
    incoming = torch.empty_like(output)
    for step in range(world - 1):  # after world-1 steps rank r holds the full sum of chunk r
        _ring_step(acc[(rank - step - 1) % world], incoming)
        acc[(rank - step - 2) % world] += incoming
    output.copy_(acc[rank])
