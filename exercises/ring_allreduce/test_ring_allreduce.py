"""Hidden suite for ring_allreduce: sum over real gloo ranks (forked processes) with send/recv only."""

import math

import pytest
import torch
import torch.distributed as dist

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import run_ranks, watched_calls

LABELS = mistake_labels(__file__)
TIMEOUT = 6  # seconds per run: a correct ring takes ~0.1 s, a deadlock should fail fast
COLLECTIVES = ["all_reduce", "all_reduce_coalesced", "reduce_scatter", "reduce_scatter_tensor", "all_gather",
               "all_gather_into_tensor", "broadcast", "reduce", "scatter", "gather", "all_to_all", "all_to_all_single"]


def point_to_point_only(sent):
    """Inside: collectives raise, by whatever name they are reached; every send appends (destination, numel)."""
    return watched_calls(["send"], lambda kind, tensor, peer: sent.append((peer, tensor.numel())),
                         forbidden=COLLECTIVES, message="ring_allreduce called torch.distributed.{name}: only "
                                                        "point-to-point send/recv/isend/irecv are allowed")


def make_input(rank, shape, dtype, seed):
    g = torch.Generator().manual_seed(1000 * seed + rank)
    if dtype == torch.int64:
        return torch.randint(-2 ** 60, 2 ** 60, shape, generator=g)  # beyond float64's 2^53: sums must stay int64
    return torch.randn(shape, generator=g, dtype=dtype)


def ring_worker(rank, world_size, solution, shape, dtype, seed, calls):
    results = []
    for call in range(calls):
        x = make_input(rank, shape, dtype, seed + call)
        expected = x.clone()
        dist.all_reduce(expected)
        sent = []
        tensor = x.clone()
        storage, start = tensor.untyped_storage().data_ptr(), tensor.data_ptr()
        with point_to_point_only(sent):
            returned = solution.ring_allreduce(tensor)
        results.append({"tensor": tensor, "expected": expected, "sent": sent,
                        "same_storage": tensor.untyped_storage().data_ptr() == storage and tensor.data_ptr() == start,
                        "returned_is_tensor": isinstance(returned, torch.Tensor) and returned.data_ptr() == start
                                              and returned.shape == tensor.shape,
                        "returned": None if returned is None else torch.as_tensor(returned).clone()})
    return results


def run(solution, world_size, shape, dtype=torch.float32, seed=0, calls=1):
    return run_ranks(ring_worker, world_size, solution, shape, dtype, seed, calls, timeout=TIMEOUT)


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
    tol = {torch.int64: 0, torch.float64: 1e-12, torch.float32: 1e-5}[dtype]  # float64 summed in float64
    for rank, per_call in enumerate(results):
        got = per_call[call]
        assert_close(got["tensor"], got["expected"], rtol=tol, atol=tol,
                     name=f"rank {rank}: tensor after ring_allreduce (world size {world_size}, shape {shape})",
                     mistakes={LABELS["no_all_gather"]: no_gather[rank], LABELS["drop_remainder"]: no_tail[rank],
                               LABELS["not_in_place"]: inputs[rank]})
        assert got["same_storage"], (f"rank {rank}: the tensor's values are right but its memory was replaced"
                                     + known_mistake(LABELS["rebinds_data"]))


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
        assert got["same_storage"], (f"rank {rank}: the tensor's memory was replaced"
                                     + known_mistake(LABELS["rebinds_data"]))
        assert got["returned_is_tensor"], (f"rank {rank}: ring_allreduce returned a new tensor; return the "
                                           "tensor it was given (changed in place)")


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


@pytest.mark.parametrize("world_size,numel", [(4, 40), (4, 38), (3, 31), (2, 40)])
def test_each_rank_sends_2_times_n_minus_1_chunks(solution, world_size, numel):
    chunk = math.ceil(numel / world_size)
    budget = 2 * (world_size - 1) * chunk
    for rank, per_call in enumerate(run(solution, world_size, (numel,), seed=19)):
        total = sum(n for _, n in per_call[0]["sent"])
        largest = max((n for _, n in per_call[0]["sent"]), default=0)
        assert largest <= chunk, (f"rank {rank} sent a message of {largest} elements for a tensor of {numel} on "
                                  f"{world_size} ranks; each ring message is one chunk of ≤ {chunk} elements"
                                  + (known_mistake(LABELS["whole_tensor_for_two_ranks"]) if largest == numel else ""))
        assert 0 < total <= budget, (
            f"rank {rank} sent {total} elements for a tensor of {numel} on {world_size} ranks; a ring all-reduce "
            f"sends 2·(N−1) chunks of ≤ {chunk} elements = at most {budget}. "
            + ("Nothing was sent." if total == 0 else "Are you sending whole tensors instead of chunks?"))


def test_variant_world_and_size(solution, variant):
    # A review may ask an odd number of ranks with a size that does not split evenly; the core run: 4 ranks, 12.
    world_size, numel = variant.get("world_size", 4), variant.get("numel", 12)
    dtype = torch.float64
    check(run(solution, world_size, (numel,), dtype, seed=5), world_size, (numel,), dtype, seed=5)
