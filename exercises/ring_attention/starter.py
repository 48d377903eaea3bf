"""Ring attention: sequence-parallel attention where each rank holds one block of positions and the K/V blocks
travel round a ring of ranks, combined with an online softmax."""

import math

import torch
import torch.distributed as dist


def ring_attention(q, k, v, causal=False):
    """Run on every rank of an initialised process group (world size W).

    q, k, v: (B, H, L, d), this rank's block: positions rank*L, ..., rank*L + L - 1 of a sequence of W*L.
    Returns this rank's block of softmax(q kᵀ / sqrt(d)) v over the whole sequence, (B, H, L, d), dtype of q.
    causal: the query at global position i sees the keys at global positions j <= i.
    Only point-to-point communication (send/recv/isend/irecv): each rank passes the K/V block it holds to rank + 1
    and receives the next from rank - 1, W - 1 times. Never hold the full K or V.
    """
    raise NotImplementedError
