"""Correct alternative: broadcast by isend/irecv from rank 0, row counts by all_gather, one flat all_reduce of
the gradients and the loss share, the step by torch.optim.SGD (its first use imports torch._dynamo and
torch.distributed.fsdp: neither may be mistaken for a deadlock or a banned import)."""

import torch
from torch.distributed import all_reduce, get_rank, get_world_size, isend, irecv, all_gather


def broadcast_parameters(model):
    rank, world = get_rank(), get_world_size()
    with torch.no_grad():
        for p in model.parameters():
            if rank == 0:
                works = [isend(p.detach(), dst) for dst in range(1, world)]
                for w in works:
                    w.wait()
            else:
                buf = torch.empty_like(p)
                irecv(buf, 0).wait()
                p.copy_(buf)


def ddp_step(model, x, y, lr):
    world = get_world_size()
    counts = [torch.zeros(1, dtype=torch.float64) for _ in range(world)]
    all_gather(counts, torch.tensor([float(len(x))], dtype=torch.float64))
    n = float(sum(c.item() for c in counts))
    params = list(model.parameters())
    per_row = ((model(x) - y) ** 2).sum(dim=1) / y.shape[1]
    share = per_row.sum() / n
    grads = torch.autograd.grad(share, params, allow_unused=True)
    flat = torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)]
                     + [share.detach().reshape(1)])
    all_reduce(flat)
    opt = torch.optim.SGD(params, lr=lr)
    off = 0
    for p in params:
        p.grad = flat[off:off + p.numel()].view_as(p).clone()
        off += p.numel()
    opt.step()
    return flat[-1].item()
