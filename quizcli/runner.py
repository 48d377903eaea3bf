"""Running a hidden suite against a solution file: a separate process, a fresh temp dir, hard limits.

The child is pytest with ``quizcli.suite_plugin``; results come back one JSON line per test over an
inherited pipe, so whatever the user's code does (exit, crash, hang, flood stdout) the grader keeps
what it learned and stays in control. Everything here is the edge: the verdict is ``grading.assemble``.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import exercise_schema, forkserver, grading
from .content import Exercise
from .forkserver import ForkServer
from .grading import GradeResult
from .mistakes import Mistake

OUTPUT_LIMIT = 64 * 1024                  # bytes of the run's output kept for the report
MEMORY_LIMIT = 12 * 1024**3               # per process: address space (RLIMIT_AS), or data (RLIMIT_DATA) with CUDA
FILE_LIMIT = 512 * 1024**2                # largest file the run may write
THREAD_CAPS = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


def memory_limits(cuda: bool) -> list[tuple[str, int]]:
    """The rlimits of a grade. CUDA's driver reserves far more address space than any sane RLIMIT_AS when it
    starts, so where a GPU may be used the cap is on private writable memory (RLIMIT_DATA: malloc, numpy and
    torch CPU tensors, bytearrays) instead; the suites cap GPU memory with set_per_process_memory_fraction."""
    memory = "RLIMIT_DATA" if cuda else "RLIMIT_AS"
    return [(memory, MEMORY_LIMIT), ("RLIMIT_FSIZE", FILE_LIMIT), ("RLIMIT_CORE", 0)]


CUDA_DRIVER = Path("/dev/nvidiactl")  # present where the NVIDIA driver is loaded; checked without importing torch
LIMITS = memory_limits(cuda=CUDA_DRIVER.exists())
_warm: ForkServer | None = None  # set inside warm_start()


def _limit_resources() -> None:  # runs in the child before exec
    forkserver.apply_limits(LIMITS)


@contextmanager
def warm_start():
    """Grade from a process that has already imported torch, numpy and pytest (see forkserver) while inside."""
    global _warm
    server = ForkServer(_server_env())
    previous, _warm = _warm, server
    try:
        yield
    finally:
        _warm = previous
        server.close()


def _server_env() -> dict[str, str]:
    """What the interpreter reads at start-up must already hold in the warm server (a fork inherits it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZ_", "PYTEST_"))}
    env.update(THREAD_CAPS, PYTHONSAFEPATH="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1",
               PYTHONUNBUFFERED="1")
    return env


def _start(command: list[str], workdir: Path, env: dict[str, str], fds: dict[str, int]):
    """The grade's process: forked by the warm server when there is one, else a fresh interpreter."""
    if _warm is not None and _warm.alive:
        try:
            return _warm.spawn(command[3:], workdir, env, fds, LIMITS)  # command is [python, -m, pytest, ...]
        except OSError:
            pass  # fall back to a cold start
    return subprocess.Popen(command, cwd=workdir, env=env, pass_fds=tuple(fds.values()), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_limit_resources)


def _child_env(solution: Path, results_fd: int, variant: dict, key_fd: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZ_", "PYTEST_"))}
    env.update(THREAD_CAPS)
    env.update(QUIZ_SOLUTION=str(solution), QUIZ_RESULTS_FD=str(results_fd), QUIZ_VARIANT=json.dumps(variant),
               QUIZ_KEY_FD=str(key_fd),
               PYTHONSAFEPATH="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1",
               PYTHONUNBUFFERED="1",
               TMPDIR=str(solution.parent))  # inside the grade's temp folder: removed even when the run is killed
    return env


def _drain(stream, sink: list[bytes], on_chunk=None) -> None:
    """Read everything (so the child never blocks on a full pipe) but keep only the first OUTPUT_LIMIT bytes."""
    kept = 0
    for chunk in iter(lambda: stream.read1(65536), b""):
        if on_chunk is not None:
            on_chunk(chunk)
        if kept < OUTPUT_LIMIT:
            sink.append(chunk[: OUTPUT_LIMIT - kept])
            kept += len(sink[-1])


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "killed"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def precheck(exercise: Exercise, source: str) -> GradeResult | None:
    """Reject what needs no test run: a syntax error or a banned call."""
    try:
        compile(source, "solution.py", "exec")
    except SyntaxError as exc:
        return grading.rejected(exercise.slug, "error", "syntax",
                                f"syntax error on line {exc.lineno}: {exc.msg}", "rejected")
    tampering = grading.tampering_uses(source)
    if tampering:
        where = "; ".join(f"{what} (line {line})" for line, what in tampering)
        return grading.rejected(exercise.slug, "failed", "tampering", f"rejected: tampering: the solution reaches "
                                f"for the grader or pytest internals: {where}", "rejected")
    uses = grading.banned_uses(source, exercise.banned)
    if uses:
        lines: dict[str, list[str]] = {}
        for line, name in uses:
            lines.setdefault(name, []).append(str(line))
        where = "; ".join(f"{name} (line {', '.join(found)})" for name, found in lines.items())
        return grading.rejected(exercise.slug, "failed", "banned calls",
                                f"this exercise asks you to write it yourself; your solution uses {where}", "rejected")
    return None


def missing_names(exercise: Exercise, source: str) -> list[str]:
    defined = exercise_schema.defined_names(source)
    return [name for name in exercise.names if name not in defined]


def run_suite(exercise: Exercise, solution: Path, timeout: float | None = None,
              variant: dict | None = None, on_record=None) -> GradeResult:
    """Grade ``solution`` with the exercise's hidden suite; never raises for anything the solution does.

    ``variant``: the suite parameters of the variant asked (exercise.yaml ``variants[].params``), handed to
    the suite's ``variant`` fixture; the core checks run either way. ``on_record(record)`` is called (from
    a reader thread) with each record of the suite plugin as it arrives, for a live display.
    """
    source = solution.read_text(encoding="utf-8", errors="replace")
    rejected = precheck(exercise, source)
    if rejected:
        return rejected
    limit = float(timeout or exercise.timeout)
    with tempfile.TemporaryDirectory(prefix=f"quiz-grade-{exercise.slug}-") as tmp:
        folder = Path(tmp)
        suite = folder / "suite" / exercise.suite.name
        suite.parent.mkdir()
        shutil.copy(exercise.suite, suite)
        if exercise.mistakes_file.is_file():  # the suite reads its labels from it
            shutil.copy(exercise.mistakes_file, suite.parent / exercise.mistakes_file.name)
        shutil.copy(exercise.folder / "exercise.yaml", suite.parent / "exercise.yaml")  # the bans, armed at run time
        (folder / "suite" / "pytest.ini").write_text("[pytest]\n")
        workdir = folder / "work"
        workdir.mkdir()
        copy = workdir / "solution.py"
        shutil.copy(solution, copy)
        result = _run(exercise.slug, suite, copy, workdir, limit, variant or {}, on_record)
    missing = missing_names(exercise, source)
    if missing and not result.passed:
        result.message += f"; your file does not define {', '.join(missing)}"
    return result


def run_mistake(exercise: Exercise, mistake: Mistake) -> GradeResult:
    """Grade the mutant that ``mistake``'s patch makes of the reference; PatchError when it no longer applies."""
    source = exercise.mutant_source(mistake)
    with tempfile.TemporaryDirectory(prefix=f"quiz-mutant-{exercise.slug}-") as tmp:
        path = Path(tmp) / f"{mistake.id}.py"
        path.write_text(source, encoding="utf-8")
        return run_suite(exercise, path)


def _run(slug: str, suite: Path, solution: Path, workdir: Path, limit: float, variant: dict,
         on_record=None) -> GradeResult:
    read_fd, write_fd = os.pipe()
    key = secrets.token_hex(16).encode()  # signs every record: a line the solution writes is not signed
    key_read, key_write = os.pipe()
    os.write(key_write, key)
    os.close(key_write)
    command = [sys.executable, "-m", "pytest", str(suite), "-p", "quizcli.suite_plugin", "-p", "no:cacheprovider",
               "--noconftest", "-o", "addopts=", "-c", str(suite.parent / "pytest.ini"),
               "--rootdir", str(suite.parent), "-q", "-s", "--tb=no", "--assert=plain", "-p", "no:warnings"]
    started = time.monotonic()
    process = _start(command, workdir, _child_env(solution, write_fd, variant, key_read),
                     {"QUIZ_RESULTS_FD": write_fd, "QUIZ_KEY_FD": key_read})
    os.close(write_fd)
    os.close(key_read)
    lines: list[bytes] = []
    output: list[bytes] = []
    arrivals = [started]  # when each record came: a test that hangs has run since the last one
    feed = _record_feed(arrivals, on_record, key)
    readers = [threading.Thread(target=_drain, args=(os.fdopen(read_fd, "rb"), lines, feed), daemon=True),
               threading.Thread(target=_drain, args=(process.stdout, output), daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
    except KeyboardInterrupt:
        _kill_group(process.pid)
        raise
    finally:
        _kill_group(process.pid)  # also reaps stray children (ranks, forks) after a normal exit
        process.wait()
    for reader in readers:
        reader.join(timeout=5)
    duration = time.monotonic() - started
    records = _records(b"".join(lines), key)
    finished = any(r.get("kind") == "__quiz_session_finished__" for r in records)
    text = b"".join(output).decode("utf-8", errors="replace")
    result = grading.assemble(slug, records, finished=finished, timed_out=timed_out, timeout=limit,
                              exit_description=_describe_exit(process.returncode), duration=duration,
                              output="\n".join(text.splitlines()[-30:]))
    hung = next((t for t in result.tests if t.outcome == "timeout" and not t.duration), None)
    if timed_out and hung is not None:
        hung.duration = started + duration - arrivals[-1]
    return result


def _record_feed(arrivals: list[float], on_record, key: bytes):
    """A consumer of results-pipe chunks: notes when each complete record line arrives and hands it on."""
    pending = bytearray()

    def feed(chunk: bytes) -> None:
        pending.extend(chunk)
        *complete, rest = bytes(pending).split(b"\n")
        pending[:] = rest
        for record in _records(b"\n".join(complete), key):
            arrivals.append(time.monotonic())
            if on_record is not None:
                try:
                    on_record(record)
                except Exception:  # noqa: BLE001 - a display problem must never stop the pipe being drained
                    pass
    return feed


def _records(raw: bytes, key: bytes) -> list[dict]:
    """The plugin's records; a complete line without the plugin's signature becomes ``{"kind": "forged"}``."""
    records = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        text, _, signature = line.rpartition("\t")
        try:
            record = json.loads(text or line)
        except json.JSONDecodeError:
            continue  # a partial line written as the process died
        if not isinstance(record, dict):
            continue
        signed = bool(text) and hmac.compare_digest(signature, grading.sign(key, text))
        records.append(record if signed else {"kind": "forged"})
    return records
