"""Collectives built from point-to-point messages, with the same signatures as torch.distributed's.

Every function runs on EVERY rank; the process group (gloo, CPU) is already initialised. Allowed
communication: torch.distributed.send / recv / isend / irecv (and batch_isend_irecv). No collectives.
All tensors are contiguous, with the same shape and dtype on every rank. Results are written IN PLACE;
the functions return None.
"""

import torch
import torch.distributed as dist


def broadcast(tensor: torch.Tensor, src: int) -> None:
    """Copy rank `src`'s `tensor` into `tensor` on every other rank (src's stays unchanged)."""
    raise NotImplementedError


def scatter(output: torch.Tensor, scatter_list, src: int) -> None:
    """Rank r receives scatter_list[r] of rank `src` into `output`.

    scatter_list: on `src`, a list of world_size tensors shaped like `output`; None on the other ranks.
    """
    raise NotImplementedError


def gather(tensor: torch.Tensor, gather_list, dst: int) -> None:
    """On rank `dst`, gather_list[r] receives rank r's `tensor` (for every r, dst included).

    gather_list: on `dst`, a list of world_size tensors shaped like `tensor`; None on the other ranks.
    """
    raise NotImplementedError


def all_gather(tensor_list, tensor: torch.Tensor) -> None:
    """On every rank, tensor_list[r] receives rank r's `tensor` (tensor_list: world_size tensors)."""
    raise NotImplementedError


def reduce_scatter(output: torch.Tensor, input_list) -> None:
    """Rank r's `output` = the sum over all ranks i of rank i's input_list[r].

    input_list: world_size tensors shaped like `output`; must not be modified.
    """
    raise NotImplementedError
