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
- ranks still running after ``timeout`` seconds: ``RanksTimedOut`` names the hung ranks and the call
  each was blocked in (a faulthandler stack taken before they are killed), with a hint that fits what
  they were doing. The suite then stops there: later ``run_ranks`` calls from the same suite fail at
  once (``NotRunAfterDeadlock``) instead of hanging again, test after test.
- a rank died without a word (os._exit, a signal): named with its exit code.

No child outlives the call: they are killed and reaped in a ``finally`` and get SIGKILL if the parent
dies (PR_SET_PDEATHSIG). Children leave with ``os._exit`` and never run pytest's teardown.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import functools
import linecache
import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import types
from datetime import timedelta

__all__ = ["run_ranks", "watched_calls", "held_elements", "RankFailed", "RanksTimedOut", "NotRunAfterDeadlock"]

GRACE_S = 2.0  # after one rank fails: how long the others get to report before they are killed
STACK_WAIT_S = 1.0  # how long a hung rank gets to write its stack before it is killed


class RankFailed(AssertionError):
    """A rank raised an exception or died."""


class RanksTimedOut(AssertionError):
    """Some ranks did not finish in time (most often a deadlock: mismatched send/recv or collectives)."""


class NotRunAfterDeadlock(AssertionError):
    """An earlier run of the same suite deadlocked: this one is not started (it would most likely hang too)."""


_deadlocks: dict[str, str] = {}  # suite (the worker's module) -> the first run that hung in it


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


def _is_library(filename: str) -> bool:
    """The stdlib, installed packages and the grader (quizcli): not where a user's mistake is."""
    return (filename.startswith((os.path.dirname(os.__file__), os.path.dirname(__file__) + os.sep, "<frozen "))
            or f"{os.sep}site-packages{os.sep}" in filename)


def _suite_file(worker) -> str:
    """The hidden suite's file (where the worker is defined): its lines are never shown to the learner."""
    return getattr(getattr(worker, "__code__", None), "co_filename", "")


def _last_user_frame(tb, suite_file: str = "") -> str:
    """`file:line in func: code` for the innermost frame outside libraries, the stdlib and this module."""
    frames = traceback.extract_tb(tb)
    user = [f for f in frames if not _is_library(f.filename) and f.filename != suite_file]
    frame = (user or [None])[-1]  # never a frame of the hidden suite or of a library
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
    faulthandler.register(signal.SIGUSR1, file=2, all_threads=True)  # fd 2 is our stderr file: the parent asks on a hang
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
                                _last_user_frame(exc.__traceback__, _suite_file(worker))))
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


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def _stack(tmp: str, rank: int) -> list[tuple[str, int, str]]:
    """The hung rank's Python stack (file, line, function), innermost first, from its faulthandler dump."""
    try:
        with open(os.path.join(tmp, f"rank{rank}.stderr"), errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    dumps = text.split("(most recent call first):")
    frames = [(m["file"], int(m["line"]), m["func"]) for m in _FRAME.finditer(dumps[-1] if len(dumps) > 1 else "")]
    return frames


def _where_blocked(frames, suite_file: str) -> tuple[str, str]:
    """(the torch.distributed function it was in or "", the innermost line of the user's code or "")."""
    call = next((func for file, _, func in frames if file.endswith("distributed_c10d.py")), "")
    user = next((f for f in frames if not _is_library(f[0]) and f[0] != suite_file), None)
    if user is None:  # only library and suite frames: the suite's lines are not shown
        return call, ""
    file, line, func = user
    code = linecache.getline(file, line).strip()
    return call, f"{os.path.basename(file)}:{line} in {func}" + (f": {code}" if code else "")


def _collect_stacks(procs, pending, tmp: str) -> dict[int, list]:
    """Ask every hung rank for its stack (SIGUSR1 → faulthandler) and wait briefly for the dumps."""
    for rank in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(procs[rank].pid, signal.SIGUSR1)
    stacks: dict[int, list] = {}
    give_up = time.monotonic() + STACK_WAIT_S
    while time.monotonic() < give_up and len(stacks) < len(pending):
        for rank in pending:
            stacks[rank] = stacks.get(rank) or _stack(tmp, rank)
        stacks = {r: f for r, f in stacks.items() if f}
        time.sleep(0.05)
    return stacks


def _deadlock_hint(blocked: dict[int, tuple[str, str]], finished: list[int]) -> str:
    calls = {call or ("wait" if ".wait(" in line else "") for call, line in blocked.values()}
    if "send" in calls:
        return ("in gloo a blocking send waits until the peer has posted the matching recv: ranks that send to "
                "each other with send (or all recv first) wait forever; start sends with isend, then recv, then wait()")
    if calls <= {"recv", "irecv", "wait"}:
        return ("every hung rank waits for a message that was never sent: each recv needs a matching send "
                "(same peer, same order, same shape) posted by the other side before it blocks")
    if not blocked:
        return "check that every send has a matching recv and every rank calls the same collectives in the same order"
    if "" in calls:
        return "a hung rank is not communicating at all: is it stuck in a loop?"
    if finished:
        return (f"{_plural(finished)} finished without making the same calls: every rank must call the same "
                "collectives in the same order")
    return "the ranks are blocked in different collectives: every rank must call the same ones in the same order"


def _timed_out(procs, pending: list[int], finished: list[int], tmp: str, worker, world_size: int,
               timeout: float) -> RanksTimedOut:
    stacks = _collect_stacks(procs, pending, tmp)
    blocked = {r: _where_blocked(stacks[r], _suite_file(worker)) for r in pending if r in stacks}
    lines = [f"deadlock: {_plural(pending)} did not finish within {timeout:g} s (all {world_size} ranks were killed)"]
    for rank in pending:
        call, line = blocked.get(rank, ("?", ""))
        what = {"?": "gave no stack in time", "": "not in a torch.distributed call"}.get(call, f"blocked in {call}")
        lines.append(f"  rank {rank}: {what}" + (f", at {line}" if line else ""))
    lines.append(f"  hint: {_deadlock_hint(blocked, finished)}")
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    _deadlocks[getattr(worker, "__module__", "")] = test or f"a run on {world_size} ranks"
    return RanksTimedOut("\n".join(lines))


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
    hung = _deadlocks.get(getattr(worker, "__module__", ""))
    if hung:
        raise NotRunAfterDeadlock(f"not run: {hung} deadlocked earlier in this suite; fix that first")
    _warm_up()
    ctx = mp.get_context("fork")
    # TMPDIR is read each time (not tempfile's cached choice): the grader points it into the grade's own folder,
    # which it removes even when this process is killed.
    tmp = tempfile.mkdtemp(prefix="quiz-gloo-", dir=os.environ.get("TMPDIR") or None)
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
            raise _timed_out(procs, sorted(pending), sorted(results), tmp, worker, world_size, timeout)
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


# Every route to a torch.distributed call (dist.isend, `from torch.distributed import isend`, P2POp batches,
# distributed_c10d.*, dist.group.WORLD.allreduce, the gloo backend object) ends in one of these methods, so
# watching them sees every call without replacing any module attribute (which would break P2POp).
_METHODS = {"send": "send", "recv": "recv", "recv_anysource": "recv", "allreduce": "all_reduce",
            "allreduce_coalesced": "all_reduce_coalesced", "allgather": "all_gather",
            "allgather_coalesced": "all_gather", "all_gather_single": "all_gather_into_tensor",
            "all_gather_single_coalesced": "all_gather_into_tensor", "_allgather_base": "all_gather_into_tensor",
            "allgather_into_tensor_coalesced": "all_gather_into_tensor", "reduce_scatter": "reduce_scatter",
            "reduce_scatter_single": "reduce_scatter_tensor", "_reduce_scatter_base": "reduce_scatter_tensor",
            "reduce_scatter_single_coalesced": "reduce_scatter_tensor",
            "reduce_scatter_tensor_coalesced": "reduce_scatter_tensor", "broadcast": "broadcast", "reduce": "reduce",
            "scatter": "scatter", "gather": "gather", "alltoall": "all_to_all", "alltoall_base": "all_to_all_single",
            "all_to_all_single": "all_to_all_single", "barrier": "barrier", "monitored_barrier": "barrier"}
# The API's names for the same thing: a watcher asked for "isend" watches sends, however they were made.
_ALIASES = {"isend": "send", "irecv": "recv", "all_gather_object": "all_gather", "broadcast_object_list": "broadcast",
            "scatter_object_list": "scatter", "gather_object": "gather"}

_INPUT_SECOND = {"all_gather", "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor"}  # (output, input)


def _first_tensor(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (list, tuple)):
        return next((t for t in map(_first_tensor, value) if t is not None), None)
    return None


@contextlib.contextmanager
def watched_calls(names, record=None, forbidden=(), message="your code called torch.distributed.{name}"):
    """Inside the block, in this process: every outermost communication whose kind is in ``names`` first runs
    ``record(kind, tensor, peer)``; one whose kind is in ``forbidden`` raises AssertionError(``message``).

    Kinds are torch.distributed's names ("send", "recv", "all_reduce", "all_gather_into_tensor", ...;
    "isend" means the same as "send"). ``tensor`` is the first tensor of the call (for a send, the one
    sent), ``peer`` the destination or source rank for send/recv. The calls are watched where every route
    to them meets, the process group's methods, so names bound by ``from torch.distributed import isend``,
    ``P2POp`` batches and ``dist.group.WORLD.allreduce`` are seen too. Use it inside a rank.
    """
    import torch.distributed.distributed_c10d as c10d

    watched = {_ALIASES.get(n, n) for n in names}
    refused = {_ALIASES.get(n, n) for n in forbidden}
    depth = [0]

    def watching(kind, original):
        def call(self, *args, **kwargs):
            if depth[0] == 0 and kind in refused:
                raise AssertionError(message.format(name=kind))
            if depth[0] == 0 and kind in watched and record is not None:
                peer = args[1] if kind in ("send", "recv") and len(args) > 1 else None
                record(kind, _first_tensor(args[1] if kind in _INPUT_SECOND and len(args) > 1 else args), peer)
            depth[0] += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1
        return call

    classes = [cls for cls in (c10d.ProcessGroup, getattr(c10d, "ProcessGroupGloo", None)) if cls is not None]
    saved = {(cls, method): cls.__dict__[method] for cls in classes for method in _METHODS if method in cls.__dict__}
    try:
        for (cls, method), original in saved.items():
            setattr(cls, method, watching(_METHODS[method], original))
        with _ops_refused(message) if refused else contextlib.nullcontext():
            yield
    finally:
        for (cls, method), original in saved.items():
            setattr(cls, method, original)


# The dispatcher's collective ops (torch.ops.c10d.allreduce_(…, pg.boxed(), …), torch.ops._c10d_functional.*) reach
# the backend in C++, past the process group's Python methods; the public API never calls them through torch.ops.
_OPS = {"c10d": ("allreduce_", "allreduce_coalesced_", "allgather_", "_allgather_base_", "allgather_coalesced_",
                 "allgather_into_tensor_coalesced_", "reduce_scatter_", "_reduce_scatter_base_",
                 "reduce_scatter_tensor_coalesced_", "broadcast_", "reduce_", "scatter_", "gather_", "alltoall_",
                 "alltoall_base_"),
        "_c10d_functional": ("all_reduce", "all_reduce_", "all_reduce_coalesced", "all_reduce_coalesced_",
                             "all_gather_into_tensor", "all_gather_into_tensor_out", "all_gather_into_tensor_coalesced",
                             "reduce_scatter_tensor", "reduce_scatter_tensor_coalesced", "all_to_all_single",
                             "broadcast", "broadcast_")}


@contextlib.contextmanager
def _ops_refused(message: str):
    """Inside: the collective ops of the dispatcher's namespaces raise AssertionError(message)."""
    import torch

    def refusing(name):
        def call(*args, **kwargs):
            raise AssertionError(message.format(name=name))
        return call

    replaced = []
    for space, names in _OPS.items():
        namespace = getattr(torch.ops, space)
        for name in names:
            replaced.append((namespace, name, namespace.__dict__.get(name)))
            setattr(namespace, name, refusing(f"{name} (as torch.ops.{space}.{name})"))
    try:
        yield
    finally:
        for namespace, name, original in replaced:
            if original is None:
                delattr(namespace, name)
            else:
                setattr(namespace, name, original)


def _slots(cls) -> tuple:
    slots = cls.__dict__.get("__slots__", ())
    return (slots,) if isinstance(slots, str) else tuple(slots)


def _saved(node) -> list:
    """What an autograd node keeps for backward: built-in nodes' _saved_* fields, a custom Function's tensors."""
    found = []
    for name in [n for n in dir(node) if n.startswith("_saved_")] + ["saved_tensors"]:
        with contextlib.suppress(Exception):  # freed after backward, or not a field of this node
            found.append(getattr(node, name))
    return found


def _children_of(value) -> list:
    """What a memory walk looks inside: containers, object attributes (__dict__ and __slots__), autograd nodes,
    closures. Modules and classes are not entered (only when given as roots)."""
    if isinstance(value, (dict, types.MappingProxyType)):
        return [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, (type(os), type)):
        return []
    if isinstance(value, types.FunctionType):  # default values too: `lambda g, full=full: …` keeps `full`
        return ([cell.cell_contents for cell in value.__closure__ or () if cell is not None]
                + list(value.__defaults__ or ()) + list((value.__kwdefaults__ or {}).values()))
    if isinstance(value, functools.partial):
        return [value.func, *value.args, *value.keywords.values()]
    found = list(vars(value).values()) if hasattr(value, "__dict__") else []
    found += [getattr(value, slot, None) for cls in type(value).__mro__ for slot in _slots(cls)]
    if hasattr(value, "next_functions"):  # an autograd node (a custom Function's node is its ctx)
        found += _saved(value) + [node for node, _ in value.next_functions if node is not None]
    return found


def _root(value) -> list:
    """A module root is its namespace plus the namespaces of the classes it defines (class-level caches)."""
    if not isinstance(value, type(os)):
        return [value]
    own = [v for v in vars(value).values() if isinstance(v, type) and v.__module__ == value.__name__]
    return [vars(value)] + [vars(cls) for cls in own]


def held_elements(*roots, exclude=(), max_depth: int = 8) -> int:
    """Elements of every tensor storage reachable from ``roots``, each storage counted once; the storages of
    ``exclude`` (and whatever hangs off those tensors) left out.

    Walks dicts, lists, tuples, sets, object attributes (``__dict__`` and ``__slots__``), closures, autograd
    graphs (a tensor's ``grad_fn``: custom Functions' ctx attributes and saved tensors, built-in nodes'
    ``_saved_*``) and ``.grad``. A module given as a root is walked with the classes it defines, so a cache
    at module or class level is found too.
    """
    import torch

    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen_objects, seen_storages, total = set(), set(), 0
    stack = [(value, 0) for root in roots for value in _root(root)]
    while stack:
        value, depth = stack.pop()
        if value is None or id(value) in seen_objects or depth > max_depth:
            continue
        seen_objects.add(id(value))
        if isinstance(value, torch.Tensor):
            ptr = value.untyped_storage().data_ptr()
            if ptr in skip:
                continue
            if ptr not in seen_storages:
                seen_storages.add(ptr)
                total += value.untyped_storage().nbytes() // max(value.element_size(), 1)
            stack += [(value.grad_fn, depth + 1), (value.grad if value.is_leaf else None, depth + 1),
                      (getattr(value, "_backward_hooks", None), depth + 1)]  # hooks registered on the tensor
            continue
        try:
            children = _children_of(value)
        except Exception:  # noqa: BLE001 - an object whose attributes cannot be read holds nothing we can see
            continue
        stack += [(child, depth + 1) for child in children]
    return total
