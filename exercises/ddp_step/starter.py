"""Data-parallel training by hand: what DistributedDataParallel does, with torch.distributed calls.

Both functions run on EVERY rank; the process group (gloo, CPU) is already initialised, so
torch.distributed.get_rank(), get_world_size(), broadcast() and all_reduce() work.
"""

import torch
import torch.distributed as dist


def broadcast_parameters(model: torch.nn.Module) -> None:
    """Make every rank's parameters equal to rank 0's, in place (rank 0's stay unchanged).

    Each rank built `model` with its own random initialisation; after this call all replicas
    are identical. Returns nothing.
    """
    raise NotImplementedError


def ddp_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float) -> float:
    """One synchronous SGD step of data-parallel training; returns the global loss before the step.

    x: (n_local, d_in) float64, y: (n_local, d_out) float64 — this rank's rows of the global batch
    (n_local >= 1, may differ between ranks). The loss is the mean squared error over the WHOLE
    global batch: mean over all rows of all ranks and over the d_out outputs.
    The update is plain SGD, param <- param - lr * grad, with grad the gradient of that global loss,
    identical on every rank. `.grad` may hold stale values when this is called.
    """
    raise NotImplementedError
