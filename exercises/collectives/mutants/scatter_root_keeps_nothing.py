"""scatter on the root sends every other chunk but never copies its own chunk into output."""

import torch
import torch.distributed as dist


def broadcast(tensor: torch.Tensor, src: int) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == src:
        requests = [dist.isend(tensor, dst=peer) for peer in range(world) if peer != src]
        for request in requests:
            request.wait()
    else:
        dist.recv(tensor, src=src)


def scatter(output: torch.Tensor, scatter_list, src: int) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == src:
        requests = [dist.isend(scatter_list[peer].contiguous(), dst=peer) for peer in range(world) if peer != src]
        for request in requests:
            request.wait()
    else:
        dist.recv(output, src=src)


def gather(tensor: torch.Tensor, gather_list, dst: int) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == dst:
        for peer in range(world):
            if peer == dst:
                gather_list[peer].copy_(tensor)
            else:
                dist.recv(gather_list[peer], src=peer)
    else:
        dist.send(tensor.contiguous(), dst=dst)


def all_gather(tensor_list, tensor: torch.Tensor) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    requests = [dist.isend(tensor.contiguous(), dst=peer) for peer in range(world) if peer != rank]
    for peer in range(world):
        if peer == rank:
            tensor_list[peer].copy_(tensor)
        else:
            dist.recv(tensor_list[peer], src=peer)
    for request in requests:
        request.wait()


def reduce_scatter(output: torch.Tensor, input_list) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    # Rank r ends with the sum over ranks of input_list[r]: send every peer ITS chunk, add what arrives.
    requests = [dist.isend(input_list[peer].contiguous(), dst=peer) for peer in range(world) if peer != rank]
    total = input_list[rank].clone()
    incoming = torch.empty_like(total)
    for peer in range(world):
        if peer != rank:
            dist.recv(incoming, src=peer)
            total += incoming
    for request in requests:
        request.wait()
    output.copy_(total)
