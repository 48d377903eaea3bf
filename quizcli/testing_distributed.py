"""Run a function on N real processes joined by torch.distributed (gloo, CPU) — for hidden suites.

    from quizcli.testing_distributed import run_ranks

    def worker(rank, world_size, n):
        t = torch.full((n,), float(rank))
        solution.my_all_reduce(t)
        return t                       # anything picklable

    results = run_ranks(worker, 4, 10, timeout=15)   # [result of rank 0, ..., result of rank 3]

Each rank is a forked child (cheap: no torch re-import) that joins a gloo process group through a
``FileStore`` in a fresh temporary directory (no ports, so suites can run in parallel), calls
``worker(rank, world_size, *args)`` and sends its return value back to the parent. Failures become
one readable exception in the parent:

- a rank raised: ``RankFailed`` (an AssertionError) naming the rank, the exception and the user's
  last frame; a NotImplementedError stays a NotImplementedError. When one rank's error makes the
  others fail ("Connection closed by peer"), the earliest error is the one reported.
- ranks still running after ``timeout`` seconds: every rank is killed (SIGKILL) and ``RanksTimedOut``
  says which ranks did not finish, e.g. "deadlock? ranks 1, 3 did not finish within 10 s".
- a rank died without a word (os._exit, a signal): named with its exit code.

No child outlives the call: they are killed and reaped in a ``finally`` and get SIGKILL if the parent
dies (PR_SET_PDEATHSIG). Children leave with ``os._exit`` and never run pytest's teardown.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import timedelta

__all__ = ["run_ranks", "watched_calls", "RankFailed", "RanksTimedOut"]

GRACE_S = 2.0  # after one rank fails: how long the others get to report before they are killed


class RankFailed(AssertionError):
    """A rank raised an exception or died."""


class RanksTimedOut(AssertionError):
    """Some ranks did not finish in time (most often a deadlock: mismatched send/recv or collectives)."""


def _plural(ranks: list[int]) -> str:
    return ("rank " if len(ranks) == 1 else "ranks ") + ", ".join(map(str, ranks))


def _exit_reason(code) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _stderr_tail(tmp: str, rank: int) -> str:
    """The last meaningful lines a dead rank wrote to stderr (gloo's abort reason), shortened."""
    try:
        with open(os.path.join(tmp, f"rank{rank}.stderr"), errors="replace") as f:
            lines = [line.strip() for line in f.read()[-4000:].splitlines() if line.strip()]
    except OSError:
        return ""
    text = " | ".join(lines[-3:])
    return text if len(text) <= 400 else "…" + text[-399:]


def _is_peer_loss(text: str) -> bool:
    return any(s in text for s in ("Connection closed by peer", "Connection reset by peer", "Broken pipe"))


def _last_user_frame(tb) -> str:
    """`file:line in func: code` for the innermost frame outside libraries, the stdlib and this module."""
    frames = traceback.extract_tb(tb)
    skip = (os.path.dirname(os.__file__), os.path.splitext(__file__)[0])
    user = [f for f in frames if not f.filename.startswith(skip) and f"{os.sep}site-packages{os.sep}" not in f.filename]
    frame = (user or frames or [None])[-1]
    if frame is None:
        return ""
    return f"{os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"


def _child(rank: int, world_size: int, store: str, pg_timeout: float, conn, worker, args) -> None:
    """Body of one rank; never returns (os._exit)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent
    except Exception:  # noqa: BLE001 - not Linux: the parent's finally still kills us
        pass
    try:  # a crash in C++ (gloo aborts on a size mismatch) leaves its reason here, for the parent
        err = os.open(f"{os.path.dirname(store)}/rank{rank}.stderr", os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(err, 2)
        os.close(err)
    except OSError:
        pass
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    ok = False
    try:
        dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=pg_timeout))
        value = worker(rank, world_size, *args)
        message = pickle.dumps(("ok", value))
        ok = True
    except BaseException as exc:  # noqa: BLE001 - everything goes to the parent
        ok = False
        text = "\n".join(str(exc).strip().splitlines()[:6])
        text = text if len(text) <= 600 else text[:599] + "…"
        message = pickle.dumps(("error", time.monotonic(), type(exc).__name__, text,
                                _last_user_frame(exc.__traceback__)))
    try:
        conn.send_bytes(message)
        if ok:  # wait for the others before leaving, so no unread message is cut off by our exit
            dist.barrier()
            dist.destroy_process_group()
    except BaseException:  # noqa: BLE001
        pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(0)


_warmed_up = False


def _warm_up() -> None:
    """Pay torch's lazy imports once in the parent, not N times in parallel in the ranks.

    The first backward() with an explicit gradient imports sympy (~0.3 s alone, ~2 s for 4 ranks on 2 cores).
    """
    global _warmed_up
    if not _warmed_up:
        import torch
        x = torch.zeros(1, requires_grad=True)
        (x * 1).backward(torch.ones(1))
        _warmed_up = True


def run_ranks(worker, world_size: int, *args, timeout: float = 20.0) -> list:
    """Run ``worker(rank, world_size, *args)`` on ``world_size`` forked gloo ranks; return their results.

    ``worker`` and ``args`` are inherited through fork (no pickling); return values must be
    picklable (tensors are). Raises RankFailed, NotImplementedError or RanksTimedOut (see the module
    docstring). ``timeout`` covers the whole run, start-up included.
    """
    _warm_up()
    ctx = mp.get_context("fork")
    tmp = tempfile.mkdtemp(prefix="quiz-gloo-")
    store = os.path.join(tmp, "store")
    procs, readers = [], []
    results: dict[int, object] = {}
    errors: dict[int, tuple] = {}
    deaths: dict[int, int] = {}
    try:
        for rank in range(world_size):
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, daemon=True,
                               args=(rank, world_size, store, timeout + 30, writer, worker, args))
            proc.start()
            writer.close()  # the child holds the only write end now: EOF means it is gone
            procs.append(proc)
            readers.append(reader)
        deadline = time.monotonic() + timeout
        pending = set(range(world_size))
        while pending:
            now = time.monotonic()
            if now >= deadline:
                break
            waitables = {readers[r]: r for r in pending}
            for ready in mp.connection.wait(list(waitables), timeout=deadline - now):
                rank = waitables[ready]
                pending.discard(rank)
                try:
                    message = pickle.loads(ready.recv_bytes())
                except (EOFError, OSError):
                    procs[rank].join(1.0)
                    deaths[rank] = procs[rank].exitcode
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled here
                    message = ("error", time.monotonic(), type(exc).__name__, f"result not readable: {exc}", "")
                if message[0] == "ok":
                    results[rank] = message[1]
                else:
                    errors[rank] = message[1:]
            if (errors or deaths) and pending:
                deadline = min(deadline, time.monotonic() + GRACE_S)
        # The first failure is the cause; a peer's crash makes the others fail with "Connection closed".
        primary = [r for r in errors if not _is_peer_loss(errors[r][2])]
        if primary or not deaths:
            if errors:
                first = min(primary or errors, key=lambda r: errors[r][0])
                _, name, text, where = errors[first]
                others = sorted(set(errors) - {first}) + sorted(deaths)
                detail = f"rank {first} raised {name}" + (f": {text}" if text else "")
                detail += f"\n  at {where}" if where else ""
                detail += f"\n  ({_plural(others)} failed after it)" if others else ""
                if name == "NotImplementedError":
                    raise NotImplementedError(detail)
                raise RankFailed(detail)
        if deaths:
            dead = sorted(deaths)
            how = ", ".join(f"rank {r}: {_exit_reason(deaths[r])}" for r in dead)
            detail = f"{_plural(dead)} died without reporting a result ({how})"
            last_words = _stderr_tail(tmp, dead[0])
            raise RankFailed(detail + (f"\n  rank {dead[0]}'s last error output: {last_words}" if last_words else
                                       "; did the code call sys.exit/os._exit or crash?"))
        if pending:
            raise RanksTimedOut(f"deadlock? {_plural(sorted(pending))} did not finish within {timeout:g} s "
                                f"(all {world_size} ranks were killed); check that every send has a matching "
                                "recv and every rank calls the same collectives in the same order")
        return [results[r] for r in range(world_size)]
    finally:
        finish_by = time.monotonic() + (1.0 if len(results) == len(procs) else 0.0)
        for proc in procs:  # ranks that all succeeded leave on their own; anything else is killed now
            proc.join(max(0.0, finish_by - time.monotonic()))
        for proc in procs:
            if proc.is_alive():
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for proc in procs:
            proc.join()
        for reader in readers:
            reader.close()
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def watched_calls(names, record=None, forbidden=(), message="your code called torch.distributed.{name}"):
    """Inside the block, in this process: every outermost call of a function in ``names`` first runs
    ``record(name, args, kwargs)``; calling one in ``forbidden`` raises AssertionError(``message``).

    Both ``torch.distributed`` and ``distributed_c10d`` are patched (solutions may use either), and only
    the outermost call is recorded because ``send()`` is built on ``isend()``. Use it inside a rank.
    """
    import torch.distributed as dist
    import torch.distributed.distributed_c10d as c10d

    depth = [0]

    def watching(name, original):
        def call(*args, **kwargs):
            if depth[0] == 0 and record is not None:
                record(name, args, kwargs)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1
        call.__name__ = original.__name__
        return call

    def refusing(name):
        def call(*args, **kwargs):
            raise AssertionError(message.format(name=name))
        return call

    wanted = {name: watching(name, getattr(c10d, name)) for name in names if hasattr(c10d, name)}
    wanted.update({name: refusing(name) for name in forbidden})
    saved = {(mod, name): getattr(mod, name) for mod in (dist, c10d) for name in wanted if hasattr(mod, name)}
    try:
        for mod, name in saved:
            setattr(mod, name, wanted[name])
        yield
    finally:
        for (mod, name), original in saved.items():
            setattr(mod, name, original)
