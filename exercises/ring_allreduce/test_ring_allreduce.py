"""Hidden suite for ring_allreduce: sum over real gloo ranks (forked processes) with send/recv only."""

import math

import pytest
import torch
import torch.distributed as dist

from quizcli.testing import assert_close
from quizcli.testing_distributed import RanksTimedOut, run_ranks, watched_calls

TIMEOUT = 6  # seconds per run: a correct ring takes ~0.1 s, a deadlock should fail fast
COLLECTIVES = ["all_reduce", "all_reduce_coalesced", "reduce_scatter", "reduce_scatter_tensor", "all_gather",
               "all_gather_into_tensor", "all_gather_object", "broadcast", "broadcast_object_list", "reduce",
               "scatter", "scatter_object_list", "gather", "gather_object", "all_to_all", "all_to_all_single",
               "send_object_list", "recv_object_list"]
_deadlocked = []  # the first test that hung; later tests are not run (each would hang again)


def point_to_point_only(sent):
    """Inside: collectives raise; every send/isend appends (destination, numel) to `sent`."""
    def record(name, args, kwargs):
        tensor = args[0] if args else kwargs["tensor"]
        dst = args[1] if len(args) > 1 else kwargs.get("dst", kwargs.get("group_dst"))
        sent.append((dst, tensor.numel()))
    return watched_calls(["send", "isend"], record, forbidden=COLLECTIVES,
                         message="ring_allreduce called torch.distributed.{name}: only point-to-point "
                                 "send/recv/isend/irecv are allowed")


def make_input(rank, shape, dtype, seed):
    g = torch.Generator().manual_seed(1000 * seed + rank)
    if dtype == torch.int64:
        return torch.randint(-50, 50, shape, generator=g)
    return torch.randn(shape, generator=g, dtype=dtype)


def ring_worker(rank, world_size, solution, shape, dtype, seed, calls):
    results = []
    for call in range(calls):
        x = make_input(rank, shape, dtype, seed + call)
        expected = x.clone()
        dist.all_reduce(expected)
        sent = []
        tensor = x.clone()
        with point_to_point_only(sent):
            returned = solution.ring_allreduce(tensor)
        results.append({"tensor": tensor, "expected": expected, "sent": sent,
                        "returned": None if returned is None else torch.as_tensor(returned).clone()})
    return results


def run(solution, world_size, shape, dtype=torch.float32, seed=0, calls=1):
    if _deadlocked:
        pytest.fail(f"not run: {_deadlocked[0]} hung (deadlock) — fix that first", pytrace=False)
    try:
        return run_ranks(ring_worker, world_size, solution, shape, dtype, seed, calls, timeout=TIMEOUT)
    except RanksTimedOut as exc:
        _deadlocked.append(f"the run with {world_size} ranks and shape {tuple(shape)}")
        raise RanksTimedOut(f"{exc}\n  hint: if every rank first blocks in recv, nobody ever sends. Start "
                             "the send before blocking in recv (isend, then recv, then wait).") from None


def simulate(inputs, *, all_gather=True, drop_tail=False):
    """Per-rank results of a ring all-reduce on `inputs` (one tensor per rank), with optional mistakes."""
    world = len(inputs)
    flats = [x.reshape(-1).clone() for x in inputs]
    n = flats[0].numel()
    if drop_tail:
        size = n // world
        bounds = [(i * size, (i + 1) * size) for i in range(world)]
    else:
        edges = [0] + [int(c.numel()) for c in torch.arange(n).tensor_split(world)]
        edges = [sum(edges[: i + 1]) for i in range(world + 1)]
        bounds = [(edges[i], edges[i + 1]) for i in range(world)]
    for step in range(world - 1):
        msgs = [flats[r][slice(*bounds[(r - step) % world])].clone() for r in range(world)]
        for r in range(world):
            flats[r][slice(*bounds[(r - step - 1) % world])] += msgs[(r - 1) % world]
    if all_gather:
        for step in range(world - 1):
            msgs = [flats[r][slice(*bounds[(r + 1 - step) % world])].clone() for r in range(world)]
            for r in range(world):
                flats[r][slice(*bounds[(r - step) % world])] = msgs[(r - 1) % world]
    return [f.view_as(inputs[0]) for f in flats]


def check(results, world_size, shape, dtype, seed=0, call=0):
    inputs = [make_input(r, shape, dtype, seed + call) for r in range(world_size)]
    no_gather = simulate(inputs, all_gather=False)
    no_tail = simulate(inputs, drop_tail=True)
    exact = dtype == torch.int64
    for rank, per_call in enumerate(results):
        got = per_call[call]
        assert_close(got["tensor"], got["expected"], rtol=0 if exact else 1e-5, atol=0 if exact else 1e-5,
                     name=f"rank {rank}: tensor after ring_allreduce (world size {world_size}, shape {shape})",
                     mistakes={"the all-gather phase is missing: each rank holds only its own reduced chunk, "
                               "the rest are partial sums": no_gather[rank],
                               "elements past world_size * (numel // world_size) were never reduced "
                               "(chunking dropped the remainder)": no_tail[rank],
                               "the tensor was not modified in place (still this rank's input)": inputs[rank]})


@pytest.mark.parametrize("world_size,shape,dtype", [
    (2, (8,), torch.float32), (2, (7, 3), torch.float64), (3, (11,), torch.float64),
    (4, (10,), torch.float32), (4, (5, 3), torch.float64), (4, (13,), torch.int64)])
def test_matches_dist_all_reduce(solution, world_size, shape, dtype):
    check(run(solution, world_size, shape, dtype), world_size, shape, dtype)


@pytest.mark.parametrize("world_size,numel", [(4, 3), (4, 1), (3, 2)])
def test_fewer_elements_than_ranks(solution, world_size, numel):
    check(run(solution, world_size, (numel,), torch.float64, seed=5), world_size, (numel,), torch.float64, seed=5)


def test_works_in_place_and_returns_the_tensor(solution):
    for rank, per_call in enumerate(run(solution, 2, (6,), torch.float64, seed=7)):
        got = per_call[0]
        assert got["returned"] is not None, f"rank {rank}: ring_allreduce returned None; return the tensor"
        assert_close(got["returned"], got["tensor"], rtol=0, atol=0,
                     name=f"rank {rank}: returned value vs the (in-place) tensor")


def test_repeated_calls_do_not_mix_messages(solution):
    results = run(solution, 4, (9,), torch.float64, seed=11, calls=3)
    for call in range(3):
        check(results, 4, (9,), torch.float64, seed=11, call=call)


def test_larger_tensor(solution):
    check(run(solution, 4, (257, 63), torch.float32, seed=13), 4, (257, 63), torch.float32, seed=13)


@pytest.mark.parametrize("world_size", [3, 4])
def test_sends_only_to_the_next_rank_on_the_ring(solution, world_size):
    for rank, per_call in enumerate(run(solution, world_size, (10,), seed=17)):
        bad = sorted({dst for dst, _ in per_call[0]["sent"] if dst != (rank + 1) % world_size})
        assert not bad, (f"rank {rank} sent to ranks {bad}; in a ring each rank sends only to "
                         f"(rank + 1) % world_size = {(rank + 1) % world_size}")


@pytest.mark.parametrize("world_size,numel", [(4, 40), (4, 38), (3, 31)])
def test_each_rank_sends_2_times_n_minus_1_chunks(solution, world_size, numel):
    chunk = math.ceil(numel / world_size)
    budget = 2 * (world_size - 1) * chunk
    for rank, per_call in enumerate(run(solution, world_size, (numel,), seed=19)):
        total = sum(n for _, n in per_call[0]["sent"])
        assert 0 < total <= budget, (
            f"rank {rank} sent {total} elements for a tensor of {numel} on {world_size} ranks; a ring all-reduce "
            f"sends 2·(N−1) chunks of ≤ {chunk} elements = at most {budget}. "
            + ("Nothing was sent." if total == 0 else "Are you sending whole tensors instead of chunks?"))
