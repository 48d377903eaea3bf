"""Reference solution for the `ring_attention` exercise: sequence-parallel attention, K/V blocks passed round a ring."""

import math

import torch
import torch.distributed as dist


def ring_attention(q, k, v, causal=False):
    """q, k, v: (B, H, L, d), this rank's block of positions rank*L .. rank*L + L - 1 -> (B, H, L, d)."""
    world, rank = dist.get_world_size(), dist.get_rank()
    B, H, L, d = q.shape
    scale = 1 / math.sqrt(d)
    q_pos = rank * L + torch.arange(L)
    m = q.new_full((B, H, L, 1), float("-inf"))  # running row max
    l = q.new_zeros((B, H, L, 1))  # running softmax denominator
    o = torch.zeros_like(q)  # running unnormalised output
    kv = torch.stack([k, v]).contiguous()
    for step in range(world):
        src = (rank - step) % world  # whose K/V block this rank holds at this step
        if step < world - 1:  # pass the block on while computing with it; non-blocking, or the ring deadlocks
            incoming = torch.empty_like(kv)
            reqs = [dist.isend(kv, (rank + 1) % world), dist.irecv(incoming, (rank - 1) % world)]
        if not (causal and src > rank):  # a later block is entirely in the future
            s = q @ kv[0].transpose(-2, -1) * scale
            if causal:
                k_pos = src * L + torch.arange(L)
                s = s.masked_fill(k_pos[None, :] > q_pos[:, None], float("-inf"))
            m_new = torch.maximum(m, s.amax(-1, keepdim=True))
            alpha = torch.exp(m - m_new)  # rescales what was accumulated under the old max
            p = torch.exp(s - m_new)
            l = l * alpha + p.sum(-1, keepdim=True)
            o = o * alpha + p @ kv[1]
            m = m_new
        if step < world - 1:
            for req in reqs:
                req.wait()
            kv = incoming
    return o / l
