"""GPipe step in two sweeps with P2POp batches: each message is one batch_isend_irecv call; the last stage
accumulates one loss over all micro-batches and calls backward per micro-batch through retained graphs."""

import torch
import torch.distributed as dist


def _talk(op, tensor, peer):
    for work in dist.batch_isend_irecv([dist.P2POp(op, tensor, peer)]):
        work.wait()


def gpipe_step(stage, x, y, batch_size, n_micro, in_dim):
    rank, world = dist.get_rank(), dist.get_world_size()
    is_first, is_last = rank == 0, rank == world - 1
    index_parts = torch.arange(batch_size).tensor_split(n_micro)
    activations = []
    for idx in index_parts:
        if is_first:
            inp = x.index_select(0, idx)
        else:
            inp = torch.empty(len(idx), in_dim, dtype=torch.float64)
            _talk(dist.irecv, inp, rank - 1)
            inp.requires_grad_()
        out = stage(inp)
        if not is_last:
            _talk(dist.isend, out.detach().contiguous(), rank + 1)
        activations.append((idx, inp, out))
    loss_value = 0.0
    for idx, inp, out in reversed(activations):
        if is_last:
            diff = out - y.index_select(0, idx)
            part = diff.pow(2).sum().div(y.numel())
            loss_value += float(part)
            part.backward()
        else:
            upstream = torch.empty(out.shape, dtype=out.dtype)
            _talk(dist.irecv, upstream, rank + 1)
            out.backward(upstream)
        if not is_first:
            _talk(dist.isend, inp.grad.contiguous(), rank - 1)
    return loss_value if is_last else None
