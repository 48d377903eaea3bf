"""The multi-process harness: deadlocks become timeouts with no orphans, rank errors name the rank."""

import os
import threading
import time

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from quizcli.content import load_exercise  # noqa: E402
from quizcli.runner import run_mistake, run_suite  # noqa: E402
from quizcli.testing_distributed import RankFailed, RanksTimedOut, run_ranks  # noqa: E402


def _children() -> list[int]:
    """Live (non-zombie) processes whose parent is this one."""
    me, found = str(os.getpid()), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.append(int(pid))
    return found


def _everyone_receives(rank, world_size):
    buffer = torch.zeros(3)
    dist.recv(buffer, src=(rank + 1) % world_size)  # every rank waits: a deadlock
    return buffer


def _rank_one_raises(rank, world_size):
    if rank == 1:
        raise ValueError("bad shard")
    return rank


def _sum_ranks(rank, world_size):
    t = torch.tensor([float(rank)])
    dist.all_reduce(t)
    return float(t)


def test_deadlock_is_a_timeout_in_bounded_time_with_no_orphans():
    before = set(_children())
    started = time.monotonic()
    with pytest.raises(RanksTimedOut, match=r"ranks 0, 1, 2, 3 did not finish within 2 s"):
        run_ranks(_everyone_receives, 4, timeout=2)
    assert time.monotonic() - started < 15
    time.sleep(0.2)
    assert set(_children()) - before == set()


def test_a_rank_that_raises_is_named():
    with pytest.raises(RankFailed, match=r"rank 1 raised ValueError: bad shard"):
        run_ranks(_rank_one_raises, 2, timeout=20)


def test_results_come_back_by_rank():
    assert run_ranks(_sum_ranks, 4, timeout=20) == [6.0, 6.0, 6.0, 6.0]


def test_grading_a_deadlocking_solution_reports_timeout():
    exercise = load_exercise("ring_allreduce")
    deadlock = next(m for m in exercise.mistakes if m.id == "recv_first_deadlock")
    result = run_mistake(exercise, deadlock)
    assert not result.passed
    timed_out = [t for t in result.tests if t.outcome == "timeout"]
    assert timed_out and "did not finish" in timed_out[0].message


def test_two_distributed_suites_in_parallel_do_not_collide():
    results = {}

    def grade(slug):
        exercise = load_exercise(slug)
        results[slug] = run_suite(exercise, exercise.solution)

    threads = [threading.Thread(target=grade, args=(slug,)) for slug in ("ddp_step", "collectives")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result.passed for result in results.values()), {s: r.message for s, r in results.items()}
