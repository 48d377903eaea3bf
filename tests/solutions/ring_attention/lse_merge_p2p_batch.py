"""Correct alternative for ring_attention: K and V sent as two tensors in one batch_isend_irecv; each block's
normalised output and log-sum-exp merged into the running result."""

import math

import torch
import torch.distributed as dist


def _block(q, k, v, mask):
    s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    lse = torch.logsumexp(s, dim=-1, keepdim=True)
    return torch.softmax(s, dim=-1) @ v, lse


def ring_attention(q, k, v, causal=False):
    W, r = dist.get_world_size(), dist.get_rank()
    L = q.shape[2]
    out, lse = None, None
    cur_k, cur_v = k.clone(), v.clone()
    for step in range(W):
        owner = (r - step) % W
        if step + 1 < W:
            nk, nv = torch.empty_like(cur_k), torch.empty_like(cur_v)
            ops = [dist.P2POp(dist.isend, cur_k, (r + 1) % W), dist.P2POp(dist.isend, cur_v, (r + 1) % W),
                   dist.P2POp(dist.irecv, nk, (r - 1) % W), dist.P2POp(dist.irecv, nv, (r - 1) % W)]
            pending = dist.batch_isend_irecv(ops)
        if not causal or owner <= r:
            mask = None
            if causal and owner == r:
                mask = torch.ones(L, L, dtype=torch.bool).tril()
            o_b, lse_b = _block(q, cur_k, cur_v, mask)
            if out is None:
                out, lse = o_b, lse_b
            else:
                new_lse = torch.logaddexp(lse, lse_b)
                out = out * torch.exp(lse - new_lse) + o_b * torch.exp(lse_b - new_lse)
                lse = new_lse
        if step + 1 < W:
            for p in pending:
                p.wait()
            cur_k, cur_v = nk, nv
    return out
