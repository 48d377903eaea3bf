"""Hidden suite for collectives: broadcast/scatter/gather/all_gather/reduce_scatter from send/recv,
on real gloo ranks (forked processes)."""


import pytest
import torch

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import run_ranks, watched_calls

LABELS = mistake_labels(__file__)
TIMEOUT = 6  # seconds per run: a correct run takes ~0.1 s
COLLECTIVES = ["all_reduce", "all_reduce_coalesced", "reduce_scatter", "reduce_scatter_tensor", "all_gather",
               "all_gather_into_tensor", "broadcast", "reduce", "scatter", "gather", "all_to_all", "all_to_all_single"]
SHAPE = (3, 2)


def point_to_point_only():
    """Inside: torch.distributed's collectives raise (by whatever name they are reached): only send/recv work."""
    return watched_calls([], forbidden=COLLECTIVES,
                         message="your code called torch.distributed.{name}: build it from send/recv instead")


def memory(tensors):
    """What identifies the caller's tensors: the objects and the memory they point at."""
    return [(id(t), t.untyped_storage().data_ptr(), t.data_ptr()) for t in tensors]


def data(rank, index, dtype, seed):
    """The tensor that rank `rank` holds in slot `index` (index -1: its single tensor)."""
    g = torch.Generator().manual_seed(10_000 * seed + 100 * rank + index + 1)
    if dtype == torch.int64:
        return torch.randint(-2 ** 60, 2 ** 60, SHAPE, generator=g)  # beyond float64's 2^53: kept int64 throughout
    return torch.randn(SHAPE, generator=g, dtype=dtype)


def sentinel(dtype):
    return torch.full(SHAPE, -7, dtype=dtype)


def call_op(rank, world_size, solution, op, root, dtype, seed):
    """Run one operation; returns its results and whether the caller's output tensors were written in place."""
    mine = data(rank, -1, dtype, seed)
    slots = [data(rank, i, dtype, seed) for i in range(world_size)]
    if op == "broadcast":
        res = {"tensor": mine.clone()}
        outputs = [res["tensor"]]
        before = memory(outputs)
        solution.broadcast(res["tensor"], root)
    elif op == "scatter":
        res = {"output": sentinel(dtype)}
        outputs = [res["output"]]
        before = memory(outputs)
        solution.scatter(res["output"], [s.clone() for s in slots] if rank == root else None, root)
    elif op in ("gather", "all_gather"):
        res = {"tensor": mine.clone(), "list": [sentinel(dtype) for _ in range(world_size)]}
        if op == "gather" and rank != root:
            res["list"] = None
        outputs = list(res["list"] or [])
        before = memory(outputs)
        if op == "gather":
            solution.gather(res["tensor"], res["list"], root)
        else:
            solution.all_gather(res["list"], res["tensor"])
    elif op == "reduce_scatter":
        res = {"output": sentinel(dtype), "inputs": [s.clone() for s in slots]}
        outputs = [res["output"]]
        before = memory(outputs)
        solution.reduce_scatter(res["output"], res["inputs"])
    else:
        raise ValueError(op)
    now = memory(res["list"]) if isinstance(res.get("list"), list) else memory(outputs)
    res["in_place"] = len(now) == len(before) and all(a == b for a, b in zip(now, before))
    return res


def op_worker(rank, world_size, solution, calls):
    with point_to_point_only():
        return [call_op(rank, world_size, solution, *call) for call in calls]


def run(solution, world_size, calls):
    return run_ranks(op_worker, world_size, solution, calls, timeout=TIMEOUT)


IN_PLACE_MISTAKES = {"all_gather": "all_gather_replaces_entries", "scatter": "scatter_rebinds_output"}


def check_in_place(res, rank, op):
    known = IN_PLACE_MISTAKES.get(op)
    assert res["in_place"], (f"rank {rank}: {op} put its results into new tensors (a list entry replaced, or "
                             "tensor.data reassigned) instead of writing into the caller's tensors"
                             + (known_mistake(LABELS[known]) if known else ""))


def exact(dtype):
    """Copies are bit for bit, in every dtype (a float64 tensor staged through float32 is not a copy)."""
    return {"rtol": 0, "atol": 0}


def summed(dtype):
    """A sum in the tensors' own dtype: only the order of additions may differ."""
    tol = {torch.int64: 0, torch.float64: 1e-12, torch.float32: 1e-6}[dtype]
    return {"rtol": tol, "atol": tol}


def check_broadcast(results, world_size, src, dtype, seed):
    for rank, res in enumerate(results):
        mistakes = {LABELS["broadcast_root_zero"]: data(0, -1, dtype, seed)} if src != 0 else {}
        assert_close(res["tensor"], data(src, -1, dtype, seed), **exact(dtype),
                     name=f"rank {rank}: tensor after broadcast(src={src}) on {world_size} ranks", mistakes=mistakes)
        check_in_place(res, rank, "broadcast")


def check_scatter(results, world_size, src, dtype, seed):
    for rank, res in enumerate(results):
        mistakes = {LABELS["scatter_chunk_off_by_one"]: data(src, (rank + 1) % world_size, dtype, seed)}
        if rank == src:
            mistakes[LABELS["scatter_root_keeps_nothing"]] = sentinel(dtype)
        assert_close(res["output"], data(src, rank, dtype, seed), **exact(dtype),
                     name=f"rank {rank}: output of scatter(src={src}) on {world_size} ranks", mistakes=mistakes)
        check_in_place(res, rank, "scatter")


def check_gather(results, world_size, dst, dtype, seed):
    got = results[dst]["list"]
    assert isinstance(got, list) and len(got) == world_size, f"rank {dst}: gather_list was replaced or resized"
    for i in range(world_size):
        mistakes = {LABELS["gather_skips_own_slot"]: sentinel(dtype)} if i == dst else {}
        assert_close(got[i], data(i, -1, dtype, seed), **exact(dtype),
                     name=f"rank {dst}: gather_list[{i}] after gather(dst={dst}) on {world_size} ranks "
                          f"(should hold rank {i}'s tensor)", mistakes=mistakes)
    check_in_place(results[dst], dst, "gather")
    for rank, res in enumerate(results):
        assert_close(res["tensor"], data(rank, -1, dtype, seed), **exact(dtype),
                     name=f"rank {rank}: its input tensor must not change")


def check_all_gather(results, world_size, dtype, seed):
    for rank, res in enumerate(results):
        shifted = [p for p in range(world_size) if p != rank] + [rank]  # slots counted without itself
        for i in range(world_size):
            assert_close(res["list"][i], data(i, -1, dtype, seed), **exact(dtype),
                         name=f"rank {rank}: tensor_list[{i}] after all_gather on {world_size} ranks "
                              f"(should hold rank {i}'s tensor)",
                         mistakes={LABELS["all_gather_slot_off_by_one"]: data(shifted[i], -1, dtype, seed)})
        check_in_place(res, rank, "all_gather")


def check_reduce_scatter(results, world_size, dtype, seed):
    for rank, res in enumerate(results):
        expected = sum(data(i, rank, dtype, seed) for i in range(world_size))
        own_index = sum(data(i, i, dtype, seed) for i in range(world_size))
        assert_close(res["output"], expected, **summed(dtype),
                     name=f"rank {rank}: output of reduce_scatter on {world_size} ranks",
                     mistakes={LABELS["reduce_scatter_own_chunk"]: own_index,
                               LABELS["reduce_scatter_drops_own"]: expected - data(rank, rank, dtype, seed)})
        check_in_place(res, rank, "reduce_scatter")
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
