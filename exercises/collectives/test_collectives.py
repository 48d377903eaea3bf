"""Hidden suite for collectives: broadcast/scatter/gather/all_gather/reduce_scatter from send/recv,
on real gloo ranks (forked processes)."""


import pytest
import torch

from quizcli.testing import assert_close
from quizcli.testing_distributed import RanksTimedOut, run_ranks, watched_calls

TIMEOUT = 6  # seconds per run: a correct run takes ~0.1 s
COLLECTIVES = ["all_reduce", "all_reduce_coalesced", "reduce_scatter", "reduce_scatter_tensor", "all_gather",
               "all_gather_into_tensor", "all_gather_object", "broadcast", "broadcast_object_list", "reduce",
               "scatter", "scatter_object_list", "gather", "gather_object", "all_to_all", "all_to_all_single",
               "send_object_list", "recv_object_list"]
SHAPE = (3, 2)
_deadlocked = []


def point_to_point_only():
    """Inside: torch.distributed's collectives raise, so only send/recv/isend/irecv work."""
    return watched_calls([], forbidden=COLLECTIVES,
                         message="your code called torch.distributed.{name}: build it from send/recv instead")


def data(rank, index, dtype, seed):
    """The tensor that rank `rank` holds in slot `index` (index -1: its single tensor)."""
    g = torch.Generator().manual_seed(10_000 * seed + 100 * rank + index + 1)
    if dtype == torch.int64:
        return torch.randint(-99, 99, SHAPE, generator=g)
    return torch.randn(SHAPE, generator=g, dtype=dtype)


def sentinel(dtype):
    return torch.full(SHAPE, -7, dtype=dtype)


def call_op(rank, world_size, solution, op, root, dtype, seed):
    mine = data(rank, -1, dtype, seed)
    slots = [data(rank, i, dtype, seed) for i in range(world_size)]
    if op == "broadcast":
        tensor = mine.clone()
        solution.broadcast(tensor, root)
        return {"tensor": tensor}
    if op == "scatter":
        output = sentinel(dtype)
        solution.scatter(output, [s.clone() for s in slots] if rank == root else None, root)
        return {"output": output}
    if op == "gather":
        tensor = mine.clone()
        out = [sentinel(dtype) for _ in range(world_size)] if rank == root else None
        solution.gather(tensor, out, root)
        return {"list": out, "tensor": tensor}
    if op == "all_gather":
        tensor = mine.clone()
        out = [sentinel(dtype) for _ in range(world_size)]
        solution.all_gather(out, tensor)
        return {"list": out, "tensor": tensor}
    if op == "reduce_scatter":
        output = sentinel(dtype)
        inputs = [s.clone() for s in slots]
        solution.reduce_scatter(output, inputs)
        return {"output": output, "inputs": inputs}
    raise ValueError(op)


def op_worker(rank, world_size, solution, calls):
    with point_to_point_only():
        return [call_op(rank, world_size, solution, *call) for call in calls]


def run(solution, world_size, calls):
    if _deadlocked:
        pytest.fail(f"not run: {_deadlocked[0]} hung (deadlock) — fix that first", pytrace=False)
    try:
        return run_ranks(op_worker, world_size, solution, calls, timeout=TIMEOUT)
    except RanksTimedOut as exc:
        _deadlocked.append(f"{calls[0][0]} on {world_size} ranks")
        raise RanksTimedOut(f"{exc}\n  hint: does the root wait for itself, or do two ranks both block in recv "
                             "before sending? Use isend for sends that may wait on a peer.") from None


def exact(dtype):
    return {"rtol": 0, "atol": 0} if dtype == torch.int64 else {"rtol": 1e-6, "atol": 1e-6}


def check_broadcast(results, world_size, src, dtype, seed):
    for rank, res in enumerate(results):
        assert_close(res["tensor"], data(src, -1, dtype, seed), **exact(dtype),
                     name=f"rank {rank}: tensor after broadcast(src={src}) on {world_size} ranks",
                     mistakes={"rank 0's tensor: the root is hard-coded to 0 instead of src": data(0, -1, dtype, seed),
                               "this rank's own tensor: nothing was received": data(rank, -1, dtype, seed)})


def check_scatter(results, world_size, src, dtype, seed):
    for rank, res in enumerate(results):
        mistakes = {"scatter_list[0] (every rank got the first chunk)": data(src, 0, dtype, seed),
                    "the output was never written": sentinel(dtype)}
        for off in (-1, 1):
            mistakes[f"scatter_list[{(rank + off) % world_size}]: off-by-one chunk index"] = \
                data(src, (rank + off) % world_size, dtype, seed)
        if src != 0:
            mistakes["rank 0's scatter_list: the root is hard-coded to 0"] = data(0, rank, dtype, seed)
        assert_close(res["output"], data(src, rank, dtype, seed), **exact(dtype),
                     name=f"rank {rank}: output of scatter(src={src}) on {world_size} ranks", mistakes=mistakes)


def check_gather(results, world_size, dst, dtype, seed):
    got = results[dst]["list"]
    assert isinstance(got, list) and len(got) == world_size, f"rank {dst}: gather_list was replaced or resized"
    for i in range(world_size):
        mistakes = {"never written (still the placeholder)": sentinel(dtype)}
        if i != dst:
            mistakes["the root's own tensor"] = data(dst, -1, dtype, seed)
        for off in (-1, 1):
            mistakes[f"rank {(i + off) % world_size}'s tensor: off-by-one slot"] = data((i + off) % world_size, -1, dtype, seed)
        assert_close(got[i], data(i, -1, dtype, seed), **exact(dtype),
                     name=f"rank {dst}: gather_list[{i}] after gather(dst={dst}) on {world_size} ranks "
                          f"(should hold rank {i}'s tensor)", mistakes=mistakes)
    for rank, res in enumerate(results):
        assert_close(res["tensor"], data(rank, -1, dtype, seed), **exact(dtype),
                     name=f"rank {rank}: its input tensor must not change")


def check_all_gather(results, world_size, dtype, seed):
    for rank, res in enumerate(results):
        for i in range(world_size):
            mistakes = {"never written (still the placeholder)": sentinel(dtype)}
            for off in (-1, 1):
                mistakes[f"rank {(i + off) % world_size}'s tensor: off-by-one slot"] = \
                    data((i + off) % world_size, -1, dtype, seed)
            assert_close(res["list"][i], data(i, -1, dtype, seed), **exact(dtype),
                         name=f"rank {rank}: tensor_list[{i}] after all_gather on {world_size} ranks "
                              f"(should hold rank {i}'s tensor)", mistakes=mistakes)


def check_reduce_scatter(results, world_size, dtype, seed):
    for rank, res in enumerate(results):
        expected = sum(data(i, rank, dtype, seed) for i in range(world_size))
        own_index = sum(data(i, i, dtype, seed) for i in range(world_size))
        without_self = expected - data(rank, rank, dtype, seed)
        assert_close(res["output"], expected, **exact(dtype),
                     name=f"rank {rank}: output of reduce_scatter on {world_size} ranks",
                     mistakes={"every rank sent input_list[its own rank] instead of input_list[receiver]": own_index,
                               "this rank's own input_list[rank] is missing from the sum": without_self,
                               "no reduction: only this rank's input_list[rank]": data(rank, rank, dtype, seed)})
        for i, tensor in enumerate(res["inputs"]):
            assert_close(tensor, data(rank, i, dtype, seed), **exact(dtype),
                         name=f"rank {rank}: input_list[{i}] must not be modified")


ROOTS = [(2, 0), (2, 1), (3, 2), (4, 0), (4, 3)]
DTYPES = {"float32": torch.float32, "int64": torch.int64}


@pytest.mark.parametrize("world_size,src", ROOTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_from_any_root(solution, world_size, src, dtype):
    check_broadcast([r[0] for r in run(solution, world_size, [("broadcast", src, DTYPES[dtype], 1)])],
                    world_size, src, DTYPES[dtype], 1)


@pytest.mark.parametrize("world_size,src", ROOTS)
def test_scatter_gives_rank_r_chunk_r(solution, world_size, src):
    check_scatter([r[0] for r in run(solution, world_size, [("scatter", src, torch.float32, 2)])],
                  world_size, src, torch.float32, 2)


@pytest.mark.parametrize("world_size,dst", ROOTS)
def test_gather_fills_slot_r_with_rank_r_tensor(solution, world_size, dst):
    check_gather([r[0] for r in run(solution, world_size, [("gather", dst, torch.float64, 3)])],
                 world_size, dst, torch.float64, 3)


@pytest.mark.parametrize("world_size", [2, 3, 4])
def test_all_gather_gives_every_rank_every_tensor(solution, world_size):
    check_all_gather([r[0] for r in run(solution, world_size, [("all_gather", None, torch.int64, 4)])],
                     world_size, torch.int64, 4)


@pytest.mark.parametrize("world_size", [2, 3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
def test_reduce_scatter_sums_chunk_r_onto_rank_r(solution, world_size, dtype):
    check_reduce_scatter([r[0] for r in run(solution, world_size, [("reduce_scatter", None, DTYPES[dtype], 5)])],
                         world_size, DTYPES[dtype], 5)


def test_all_five_in_a_row_do_not_mix_messages(solution):
    calls = [("scatter", 1, torch.float64, 6), ("broadcast", 2, torch.float64, 7), ("all_gather", None, torch.float64, 8),
             ("gather", 3, torch.float64, 9), ("reduce_scatter", None, torch.float64, 10), ("broadcast", 0, torch.float64, 11)]
    results = run(solution, 4, calls)
    check_scatter([r[0] for r in results], 4, 1, torch.float64, 6)
    check_broadcast([r[1] for r in results], 4, 2, torch.float64, 7)
    check_all_gather([r[2] for r in results], 4, torch.float64, 8)
    check_gather([r[3] for r in results], 4, 3, torch.float64, 9)
    check_reduce_scatter([r[4] for r in results], 4, torch.float64, 10)
    check_broadcast([r[5] for r in results], 4, 0, torch.float64, 11)
