"""Reference: one GPipe training step (all forwards, then all backwards) over send/recv."""

import torch
import torch.distributed as dist


def gpipe_step(stage, x, y, batch_size, n_micro, in_dim):
    """Accumulate this stage's parameter gradients for one step; the last rank returns the loss."""
    rank, world = dist.get_rank(), dist.get_world_size()
    first, last = rank == 0, rank == world - 1
    sizes = [len(part) for part in torch.arange(batch_size).tensor_split(n_micro)]
    if first:
        x_parts = x.tensor_split(n_micro)
    if last:
        y_parts = y.tensor_split(n_micro)
        out_dim = y.shape[-1]

    inputs, outputs, losses = [], [], []
    for m, size in enumerate(sizes):  # forward of every micro-batch
        if first:
            inp = x_parts[m]
        else:
            inp = torch.empty(size, in_dim, dtype=torch.float64)
            dist.recv(inp, src=rank - 1)
            inp.requires_grad_()
        out = stage(inp)
        if last:
            # Each micro-batch's share of the mean over the WHOLE batch: the shares add up to the loss.
            losses.append(((out - y_parts[m]) ** 2).sum() / (batch_size * out_dim))
        else:
            dist.send(out.detach().contiguous(), dst=rank + 1)
        inputs.append(inp)
        outputs.append(out)

    for m in reversed(range(n_micro)):  # backward, last micro-batch first; gradients accumulate
        if last:
            losses[m].backward()
        else:
            grad = torch.empty_like(outputs[m])
            dist.recv(grad, src=rank + 1)
            outputs[m].backward(grad)
        if not first:
            dist.send(inputs[m].grad.contiguous(), dst=rank - 1)
    return float(sum(loss.detach() for loss in losses)) if last else None
