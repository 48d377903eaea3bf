"""Expert parallelism: MoE experts sharded over ranks; tokens travel to their expert's rank and back by all-to-all."""

import torch
import torch.distributed as dist


def expert_parallel_moe(x, expert_idx, gates, local_experts):
    """Run on every rank of an initialised process group (world size W).

    x: (T, d) this rank's tokens (T may differ between ranks, even be 0).
    expert_idx: (T, k) int64 global expert ids in [0, W * m); gates: (T, k).
    local_experts: the m experts this rank owns (callables (n, d) -> (n, d)); rank r owns global experts
    r*m, r*m + 1, ..., r*m + m - 1, in that order.
    Returns y: (T, d), y[t] = sum_j gates[t, j] * expert_{expert_idx[t, j]}(x[t]), rows in the order of x.
    Communicate with dist.all_to_all_single only (exchange the split sizes first; gloo's list all_to_all needs
    equal-size tensors). No autograd needed: the suite runs it under torch.no_grad().
    """
    raise NotImplementedError
