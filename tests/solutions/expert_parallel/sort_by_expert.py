"""Correct alternative for expert_parallel: assignments sorted by global expert id (so also by rank), one
all_to_all_single of the tokens with their ids stacked as an extra column, inverse permutation with scatter."""

import torch
import torch.distributed as dist


def expert_parallel_moe(x, expert_idx, gates, local_experts):
    world, rank, m = dist.get_world_size(), dist.get_rank(), len(local_experts)
    T, k = expert_idx.shape
    d = x.shape[1]
    ids = expert_idx.flatten()
    perm = torch.argsort(ids * (T * k + 1) + torch.arange(T * k), stable=True)   # by expert, then by position
    packed = torch.cat([x.repeat_interleave(k, 0), ids.to(x.dtype)[:, None]], 1)[perm].contiguous()
    split_out = torch.bincount(ids // m, minlength=world)
    split_in = torch.zeros_like(split_out)
    dist.all_to_all_single(split_in, split_out)
    recv = packed.new_zeros(int(split_in.sum()), d + 1)
    dist.all_to_all_single(recv, packed, split_in.tolist(), split_out.tolist())
    local_ids = recv[:, d].round().long() - rank * m
    out = recv[:, :d].clone()
    for i in range(m):
        rows = local_ids == i
        if rows.any():
            out[rows] = local_experts[i](recv[rows, :d])
    back = packed.new_zeros(T * k, d)
    dist.all_to_all_single(back, out.contiguous(), split_out.tolist(), split_in.tolist())
    unsorted = torch.zeros_like(back).index_copy_(0, perm, back)
    return torch.einsum("tkd,tk->td", unsorted.view(T, k, d), gates)
