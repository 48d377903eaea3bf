"""Initial parameters not broadcast from rank 0: every replica keeps its own random init."""

import torch
import torch.distributed as dist


def broadcast_parameters(model: torch.nn.Module) -> None:
    """Overwrite every rank's parameters with rank 0's, in place."""
    with torch.no_grad():
        for param in model.parameters():
            pass  # every rank built the model the same way ... or did it?


def ddp_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float) -> float:
    """One SGD step on the global batch; this rank holds the rows x (n_local, d_in), y (n_local, d_out)."""
    n_global = torch.tensor([x.shape[0]], dtype=torch.int64)
    dist.all_reduce(n_global)  # shards may differ in size: every rank needs the global count
    n_global = int(n_global.item())

    for param in model.parameters():
        param.grad = None  # a stale gradient must not leak into this step
    out = model(x)
    # This rank's share of the global mean: sum over its rows divided by the GLOBAL row count.
    local_loss = ((out - y) ** 2).mean(dim=1).sum() / n_global
    local_loss.backward()

    for param in model.parameters():
        dist.all_reduce(param.grad)  # sum of the shares = gradient of the global mean loss
    with torch.no_grad():
        for param in model.parameters():
            param -= lr * param.grad

    loss = local_loss.detach().clone()
    dist.all_reduce(loss)
    return float(loss)
