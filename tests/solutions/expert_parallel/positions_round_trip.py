"""Correct alternative for expert_parallel: Python lists per destination rank; each assignment's position travels
with it to the expert's rank and back, and the combine scatters by the returned positions."""

import torch
import torch.distributed as dist


def _exchange(tensors_by_rank, counts_in, width, like):
    send = torch.cat(tensors_by_rank) if tensors_by_rank else like.new_zeros(0, width)
    recv = like.new_zeros(sum(counts_in), width)
    dist.all_to_all_single(recv, send.contiguous(), counts_in, [len(t) for t in tensors_by_rank])
    return recv


def expert_parallel_moe(x, expert_idx, gates, local_experts):
    world, me, m = dist.get_world_size(), dist.get_rank(), len(local_experts)
    T, k = expert_idx.shape
    d = x.shape[1]
    rows = [[] for _ in range(world)]
    for t in range(T):
        for j in range(k):
            e = int(expert_idx[t, j])
            rows[e // m].append((t * k + j, e))
    n_out = torch.tensor([len(r) for r in rows], dtype=torch.int64)
    n_in = torch.zeros(world, dtype=torch.int64)
    dist.all_to_all_single(n_in, n_out)
    counts_in = n_in.tolist()
    meta = [torch.tensor(r, dtype=torch.float64).reshape(-1, 2) for r in rows]          # (position, expert)
    feats = [torch.stack([x[p // k] for p, _ in r]) if r else x.new_zeros(0, d) for r in rows]
    got_meta = _exchange(meta, counts_in, 2, x.new_zeros(0, 2, dtype=torch.float64))
    got_x = _exchange(feats, counts_in, d, x)
    out = got_x.clone()
    for i, expert in enumerate(local_experts):
        hit = got_meta[:, 1].round().long() == me * m + i
        if hit.any():
            out[hit] = expert(got_x[hit])
    back_x = x.new_zeros(int(n_out.sum()), d)
    back_meta = torch.zeros(int(n_out.sum()), 2, dtype=torch.float64)
    dist.all_to_all_single(back_x, out.contiguous(), n_out.tolist(), counts_in)
    dist.all_to_all_single(back_meta, got_meta.contiguous(), n_out.tolist(), counts_in)
    y = x.new_zeros(T, d)
    for (pos, _), row in zip(back_meta.tolist(), back_x):
        p = int(round(pos))
        y[p // k] += gates[p // k, p % k] * row
    return y
