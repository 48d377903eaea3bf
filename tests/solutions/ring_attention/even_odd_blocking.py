"""Correct alternative for ring_attention: blocking send/recv ordered by rank parity (even ranks send first, odd
ranks receive first) so the ring cannot deadlock; accumulation in float64 with a global-position mask."""

import math

import torch
import torch.distributed as dist


def _pass_on(buf, rank, world):
    nxt = torch.empty_like(buf)
    right, left = (rank + 1) % world, (rank - 1) % world
    if rank % 2 == 0:
        dist.send(buf, right)
        dist.recv(nxt, left)
    else:
        dist.recv(nxt, left)
        dist.send(buf, right)
    return nxt


def ring_attention(q, k, v, causal=False):
    world, rank = dist.get_world_size(), dist.get_rank()
    B, H, L, d = q.shape
    qd = q.double()
    mx = torch.full((B, H, L, 1), -math.inf, dtype=torch.float64)
    den = torch.zeros(B, H, L, 1, dtype=torch.float64)
    acc = torch.zeros(B, H, L, d, dtype=torch.float64)
    buf = torch.cat([k, v], dim=-1).contiguous()
    rows = torch.arange(L) + rank * L
    for step in range(world):
        holder = (rank - step) % world
        kb, vb = buf[..., :d].double(), buf[..., d:].double()
        cols = torch.arange(L) + holder * L
        s = torch.einsum("bhid,bhjd->bhij", qd, kb) / math.sqrt(d)
        if causal:
            s = torch.where(cols[None, :] <= rows[:, None], s, torch.tensor(-math.inf, dtype=torch.float64))
        blk_max = s.amax(-1, keepdim=True)
        new_mx = torch.maximum(mx, blk_max)
        safe = torch.where(torch.isinf(new_mx), torch.zeros_like(new_mx), new_mx)
        w = torch.exp(s - safe)
        keep = torch.exp(mx - safe)
        den = den * keep + w.sum(-1, keepdim=True)
        acc = acc * keep + torch.einsum("bhij,bhjd->bhid", w, vb)
        mx = new_mx
        if step < world - 1:
            buf = _pass_on(buf, rank, world)
    return (acc / den).to(q.dtype)
