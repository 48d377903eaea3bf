"""GPipe step with isend/irecv bound by import, F.mse_loss(reduction="sum") shares, and torch.autograd.backward."""

import torch
import torch.nn.functional as F
from torch.distributed import get_rank, get_world_size, irecv, isend


def gpipe_step(stage, x, y, batch_size, n_micro, in_dim):
    rank, world = get_rank(), get_world_size()
    prev, nxt = rank - 1, rank + 1
    base, extra = divmod(batch_size, n_micro)
    rows = [base + (1 if m < extra else 0) for m in range(n_micro)]  # what tensor_split gives
    starts = [sum(rows[:m]) for m in range(n_micro)]
    saved, pending, total = [], [], 0.0
    for m in range(n_micro):
        if rank == 0:
            inp = x[starts[m]:starts[m] + rows[m]]
        else:
            inp = torch.zeros(rows[m], in_dim, dtype=torch.float64)
            irecv(inp, prev).wait()
            inp.requires_grad_(True)
        out = stage(inp)
        if nxt < world:
            pending.append(isend(out.detach().contiguous(), nxt))
        saved.append((inp, out))
    for work in pending:
        work.wait()
    pending = []
    for m in range(n_micro - 1, -1, -1):
        inp, out = saved[m]
        if nxt == world:
            target = y[starts[m]:starts[m] + rows[m]]
            share = F.mse_loss(out, target, reduction="sum") / (batch_size * target.shape[1])
            total += share.item()
            torch.autograd.backward(share)
        else:
            grad = torch.zeros_like(out)
            irecv(grad, nxt).wait()
            torch.autograd.backward(out, grad)
        if rank > 0:
            pending.append(isend(inp.grad.contiguous(), prev))
    for work in pending:
        work.wait()
    return total if nxt == world else None
