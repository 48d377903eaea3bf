"""Collectives with P2POp batches (names imported from torch.distributed), one batch per operation."""

import torch
from torch.distributed import P2POp, batch_isend_irecv, get_rank, get_world_size, irecv, isend


def _run(ops):
    if ops:
        for work in batch_isend_irecv(ops):
            work.wait()


def broadcast(tensor, src):
    me, n = get_rank(), get_world_size()
    if me == src:
        _run([P2POp(isend, tensor, peer) for peer in range(n) if peer != src])
    else:
        _run([P2POp(irecv, tensor, src)])


def scatter(output, scatter_list, src):
    me, n = get_rank(), get_world_size()
    if me == src:
        output.copy_(scatter_list[me])
        _run([P2POp(isend, scatter_list[peer].contiguous(), peer) for peer in range(n) if peer != me])
    else:
        _run([P2POp(irecv, output, src)])


def gather(tensor, gather_list, dst):
    me, n = get_rank(), get_world_size()
    if me == dst:
        gather_list[me].copy_(tensor)
        _run([P2POp(irecv, gather_list[peer], peer) for peer in range(n) if peer != me])
    else:
        _run([P2POp(isend, tensor.contiguous(), dst)])


def all_gather(tensor_list, tensor):
    me, n = get_rank(), get_world_size()
    tensor_list[me].copy_(tensor)
    ops = [P2POp(isend, tensor.contiguous(), peer) for peer in range(n) if peer != me]
    ops += [P2POp(irecv, tensor_list[peer], peer) for peer in range(n) if peer != me]
    _run(ops)


def reduce_scatter(output, input_list):
    me, n = get_rank(), get_world_size()
    inbox = {peer: torch.empty_like(output) for peer in range(n) if peer != me}
    ops = [P2POp(isend, input_list[peer].contiguous(), peer) for peer in inbox]
    ops += [P2POp(irecv, buf, peer) for peer, buf in inbox.items()]
    _run(ops)
    output.copy_(sum(inbox.values(), input_list[me].clone()))
