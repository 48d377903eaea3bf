"""The multi-process harness: deadlocks become timeouts with no orphans, rank errors name the rank."""

import importlib.util
import os
import tempfile
import threading
import time

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from quizcli.content import load_exercise  # noqa: E402
from quizcli.runner import run_mistake, run_suite  # noqa: E402
from quizcli import testing_distributed  # noqa: E402
from quizcli.testing_distributed import (NotRunAfterDeadlock, RankFailed, RanksTimedOut, held_elements,  # noqa: E402
                                         run_ranks, watched_calls)


@pytest.fixture(autouse=True)
def no_earlier_deadlock():
    """Each test starts as if it were the first of its suite (a deadlock stops only the rest of a suite)."""
    testing_distributed._deadlocks.clear()
    yield
    testing_distributed._deadlocks.clear()


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


USER_CODE = """
import torch
import torch.distributed as dist


def everyone_sends_first(rank, world_size):
    dist.send(torch.zeros(10), dst=(rank + 1) % world_size)  # gloo: a send waits for its recv
    dist.recv(torch.zeros(10), src=(rank - 1) % world_size)
"""


def _calls_user_code(rank, world_size, module):
    module.everyone_sends_first(rank, world_size)


def test_a_deadlock_names_each_rank_s_call_and_a_hint_that_fits(tmp_path, monkeypatch):
    (tmp_path / "user_code.py").write_text(USER_CODE)
    spec = importlib.util.spec_from_file_location("user_code", tmp_path / "user_code.py")
    user_code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(user_code)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RanksTimedOut) as sends:
        run_ranks(_calls_user_code, 2, user_code, timeout=6)  # time enough to reach the send on a busy machine
    message = str(sends.value)
    assert "rank 0: blocked in send, at user_code.py:7 in everyone_sends_first: dist.send(" in message
    assert "rank 1: blocked in send" in message and "a blocking send waits" in message
    assert "test_distributed_harness.py" not in message  # the suite's own lines are never shown
    testing_distributed._deadlocks.clear()
    with pytest.raises(RanksTimedOut) as recvs:
        run_ranks(_everyone_receives, 2, timeout=6)
    assert "blocked in recv" in str(recvs.value) and "waits for a message that was never sent" in str(recvs.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user_code.py"]  # the killed runs' files are gone


def test_after_a_deadlock_the_rest_of_the_suite_is_not_run():
    with pytest.raises(RanksTimedOut):
        run_ranks(_everyone_receives, 2, timeout=2)
    started = time.monotonic()
    with pytest.raises(NotRunAfterDeadlock, match="deadlocked earlier"):
        run_ranks(_sum_ranks, 2, timeout=20)
    assert time.monotonic() - started < 1


def _p2p_by_imported_names(rank, world_size):
    from torch.distributed import P2POp, batch_isend_irecv, irecv, isend

    seen = []
    with watched_calls(["send", "recv"], lambda kind, tensor, peer: seen.append((kind, peer, tensor.numel())),
                       forbidden=["all_reduce"]):
        out, into = torch.full((3,), float(rank)), torch.zeros(3)
        for work in batch_isend_irecv([P2POp(isend, out, 1 - rank), P2POp(irecv, into, 1 - rank)]):
            work.wait()
        try:
            dist.group.WORLD.allreduce([out]).wait()
            refused = False
        except AssertionError:
            refused = True
    return seen, float(into[0]), refused


def test_watched_calls_see_imported_names_and_process_group_methods_without_breaking_p2pop():
    for rank, (seen, received, refused) in enumerate(run_ranks(_p2p_by_imported_names, 2, timeout=20)):
        assert sorted(seen) == [("recv", 1 - rank, 3), ("send", 1 - rank, 3)]
        assert received == float(1 - rank) and refused


class _Slotted:
    __slots__ = ("kept", "cache")


class _KeepsInput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.copy = torch.zeros(50)  # not saved through save_for_backward: only a walk of the ctx finds it
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_held_elements_walks_slots_dicts_and_autograd_ctx():
    obj = _Slotted()
    obj.kept, obj.cache = torch.zeros(10), {"w": [torch.zeros(5)]}
    assert held_elements(obj) == 15
    x = torch.zeros(3, requires_grad=True)
    assert held_elements(_KeepsInput.apply(x), exclude=[x]) == 3 + 50  # the output itself, and ctx.copy


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
