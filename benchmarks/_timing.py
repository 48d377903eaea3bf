"""Shared timing helper for the benchmarks: median wall and CPU time of a command, as a subprocess."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

QUIZ = [sys.executable, "-m", "quizcli"]
PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "quizcli")

# pip compiles an installed package; an editable checkout under PYTHONDONTWRITEBYTECODE=1 would recompile
# every module on every run and measure the compiler, not quiz.
subprocess.run([sys.executable, "-m", "compileall", "-q", PACKAGE], check=False, capture_output=True,
               env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})


def timed(command: list[str], repeat: int = 7, stdin: str = "", env: dict | None = None) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds (user + sys of the child) of ``command`` over ``repeat`` runs,
    after one warm-up run. On a shared machine the wall time carries other people's load; CPU time much less."""
    environment = {**os.environ, **(env or {})}
    walls, cpus = [], []
    for attempt in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, input=stdin, capture_output=True, text=True, env=environment, check=False)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if attempt:
            walls.append(elapsed)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def wall(command: list[str], repeat: int = 7, stdin: str = "", env: dict | None = None) -> float:
    """Median wall-clock seconds of ``command`` over ``repeat`` runs (after one warm-up run)."""
    return timed(command, repeat, stdin, env)[0]


def report(rows: list[tuple[str, tuple[float, float]]], baseline: str) -> None:
    """One line per command: median wall and CPU time, each as a ratio to ``baseline``'s."""
    base_wall, base_cpu = dict(rows)[baseline]
    width = max(len(name) for name, _ in rows)
    print(f"{'':<{width}}  {'wall':>8}            {'cpu':>8}")
    for name, (seconds, cpu) in rows:
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms {seconds / base_wall:5.2f}×  "
              f"{cpu * 1000:8.1f} ms {cpu / base_cpu:5.2f}×  (of {baseline})")


def grade_reference(exercise, env: dict | None = None) -> tuple[float, dict]:
    """Wall time of `quiz grade` on an exercise's reference, and its JSON report."""
    import json

    started = time.perf_counter()
    result = subprocess.run(QUIZ + ["grade", exercise.slug, "--file", str(exercise.solution), "--json"],
                            capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    seconds = time.perf_counter() - started
    try:
        return seconds, json.loads(result.stdout)
    except json.JSONDecodeError:
        return seconds, {"passed": False, "tests": [], "message": result.stderr.strip()[-200:]}


def gradable(requirement: str) -> list:
    """The exercises that need ``requirement`` and that this machine can grade."""
    from quizcli.content import load_exercises
    from quizcli.exercises import missing_requirements

    return [e for e in load_exercises() if requirement in e.requires and not missing_requirements(e.requires)]
