"""Hidden suite for expert_parallel: an MoE layer whose experts live on different gloo ranks (forked processes),
checked against a float64 computation of every token on every expert, done here in one process."""

import pytest
import torch

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import run_ranks, watched_calls

LABELS = mistake_labels(__file__)
TIMEOUT = 8
D = 6
OTHER_COLLECTIVES = ["all_reduce", "all_reduce_coalesced", "reduce_scatter", "reduce_scatter_tensor", "all_gather",
                     "all_gather_into_tensor", "broadcast", "reduce", "scatter", "gather", "send", "recv"]


def experts_for(n_experts, seed):
    g = torch.Generator().manual_seed(seed)
    layers = []
    for _ in range(n_experts):
        lin = torch.nn.Linear(D, D).double()
        with torch.no_grad():
            lin.weight.copy_(torch.randn(D, D, generator=g, dtype=torch.float64) / D ** 0.5)
            lin.bias.copy_(torch.randn(D, generator=g, dtype=torch.float64))
        layers.append(lin)
    return layers


def tokens_for(rank, T, n_experts, k, seed):
    g = torch.Generator().manual_seed(100 * seed + rank)
    x = torch.randn(T, D, generator=g, dtype=torch.float64)
    idx = torch.stack([torch.randperm(n_experts, generator=g)[:k] for _ in range(T)]) if T else \
        torch.empty(0, k, dtype=torch.int64)
    gates = torch.rand(T, k, generator=g, dtype=torch.float64) + 0.1
    return x, idx, gates


def ref_output(x, idx, gates, experts, mistake=None):
    with torch.no_grad():
        outs = torch.stack([torch.stack([experts[int(e)](x[t]) for e in idx[t]]) for t in range(len(x))]) \
            if len(x) else torch.empty(0, idx.shape[1], D, dtype=torch.float64)
    if mistake == "gates_not_applied":
        return outs.sum(1)
    return (outs * gates.unsqueeze(-1)).sum(1)


def worker(rank, world, solution, tokens, m, k, seed):
    experts = experts_for(world * m, seed)
    x, idx, gates = tokens_for(rank, tokens[rank], world * m, k, seed)
    with torch.no_grad(), watched_calls([], forbidden=OTHER_COLLECTIVES,
                                        message="expert_parallel_moe called torch.distributed.{name}: move tokens "
                                                "with all_to_all_single (or all_to_all) only"):
        y = solution.expert_parallel_moe(x.clone(), idx.clone(), gates.clone(), experts[rank * m:(rank + 1) * m])
    return y


def check(solution, world, tokens, m, k, seed):
    got = run_ranks(worker, world, solution, tokens, m, k, seed, timeout=TIMEOUT)
    experts = experts_for(world * m, seed)
    for rank in range(world):
        x, idx, gates = tokens_for(rank, tokens[rank], world * m, k, seed)
        want = ref_output(x, idx, gates, experts)
        assert_close(got[rank], want, rtol=1e-10, atol=1e-12,
                     name=f"rank {rank}'s output ({world} ranks, tokens per rank {tokens}, {m} experts per rank, "
                          f"top-{k})",
                     mistakes={LABELS["gates_not_applied"]: lambda: ref_output(x, idx, gates, experts,
                                                                              "gates_not_applied")})


@pytest.mark.parametrize("world,tokens,m,k,seed", [
    (2, (5, 3), 2, 2, 0),
    (2, (4, 4), 1, 1, 1),
    (4, (3, 6, 2, 5), 2, 2, 2),
    (4, (4, 1, 3, 2), 1, 3, 3),
])
def test_outputs_match_the_single_process_computation(solution, world, tokens, m, k, seed):
    check(solution, world, tokens, m, k, seed)


def test_a_rank_without_tokens(solution):
    # rank 1 sends nothing but still serves the tokens that other ranks route to its experts
    check(solution, 3, (4, 0, 5), 2, 2, 4)


def test_unbalanced_routing(solution):
    # every token of every rank goes to experts of rank 0 only: the split sizes differ wildly
    def skewed(rank, world, solution, seed):
        experts = experts_for(world * 2, seed)
        x, _, gates = tokens_for(rank, 4 + rank, world * 2, 2, seed)
        idx = torch.tensor([[0, 1]] * len(x))
        with torch.no_grad():
            return solution.expert_parallel_moe(x, idx, gates, experts[rank * 2:(rank + 1) * 2])
    got = run_ranks(skewed, 2, solution, 5, timeout=TIMEOUT)
    experts = experts_for(4, 5)
    for rank in range(2):
        x, _, gates = tokens_for(rank, 4 + rank, 4, 2, 5)
        idx = torch.tensor([[0, 1]] * len(x))
        assert_close(got[rank], ref_output(x, idx, gates, experts), rtol=1e-10, atol=1e-12,
                     name=f"rank {rank}'s output when every token is routed to rank 0's experts")


def test_results_come_back_in_token_order(solution):
    # identity experts plus a distinct offset per expert: a token-order mix-up shows as swapped rows
    def worker_order(rank, world, solution):
        class Offset(torch.nn.Module):
            def __init__(self, e):
                super().__init__()
                self.e = e

            def forward(self, v):
                return v + 100.0 * self.e
        x = torch.arange(5 * D, dtype=torch.float64).view(5, D) + 1000.0 * rank
        idx = torch.tensor([[3], [0], [2], [1], [3]])
        gates = torch.ones(5, 1, dtype=torch.float64)
        with torch.no_grad():
            return solution.expert_parallel_moe(x, idx, gates, [Offset(rank * 2), Offset(rank * 2 + 1)])
    got = run_ranks(worker_order, 2, solution, timeout=TIMEOUT)
    for rank in range(2):
        x = torch.arange(5 * D, dtype=torch.float64).view(5, D) + 1000.0 * rank
        want = x + 100.0 * torch.tensor([3.0, 0.0, 2.0, 1.0, 3.0], dtype=torch.float64)[:, None]
        if not torch.allclose(got[rank], want):
            rows = [int(round(float(r[0]) % 1000)) for r in got[rank]]
            raise AssertionError(
                f"rank {rank}: row t must be token t plus 100·(its expert); got rows starting with {rows}, expected "
                f"{[int(round(float(r[0]) % 1000)) for r in want]}"
                + (known_mistake(LABELS["combined_in_arrival_order"])
                   if sorted(rows) == sorted(int(round(float(r[0]) % 1000)) for r in want) else ""))


def test_variant_task(solution, variant):
    # A review may ask more experts per rank or a wider top-k; the core run: 2 ranks, 2 experts each, top-2.
    m, k = variant.get("experts_per_rank", 2), variant.get("k", 2)
    check(solution, 2, (6, 4), m, k, 6)
