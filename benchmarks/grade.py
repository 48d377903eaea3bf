"""Grading overhead: `quiz grade` on each reference vs plain pytest on the same suite, in one run.

    python benchmarks/grade.py [SLUG ...]

Both pay for importing torch once; the difference is what quiz adds (CLI start-up, temp folder, sandbox,
result pipe, recording the attempt). Target: ≤ 1.5 s per exercise.

The second table is `grade --watch`: each grade forked from the warm server (torch, numpy, pytest imported) vs a
cold grade, against the suite's own test time. Target: warm ≤ test time + 0.5 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import QUIZ, wall

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizcli.content import load_exercises  # noqa: E402
from quizcli.exercises import missing_requirements  # noqa: E402
from quizcli.runner import run_suite, warm_start  # noqa: E402


def median_grade(exercise, repeat: int = 3) -> tuple[float, float]:
    """Median wall seconds of one grade of the reference, and the suite's own test time in it."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run_suite(exercise, exercise.solution)
        runs.append((time.perf_counter() - started, sum(t.duration for t in result.tests)))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def watch_vs_cold(chosen) -> None:
    print(f"\n{'exercise':<22} {'tests':>7} {'cold':>7} {'warm':>7} {'warm - tests':>13}")
    cold = {e.slug: median_grade(e) for e in chosen}
    with warm_start():
        run_suite(chosen[0], chosen[0].solution)  # the server's own start-up is paid once, before the first save
        warm = {e.slug: median_grade(e) for e in chosen}
    for e in chosen:
        (c, tests), (w, _) = cold[e.slug], warm[e.slug]
        print(f"{e.slug:<22} {tests:6.2f}s {c:6.2f}s {w:6.2f}s {w - tests:+12.2f}s")


def main(slugs: list[str]) -> None:
    chosen = [e for e in load_exercises() if (not slugs or e.slug in slugs) and not missing_requirements(e.requires)]
    print(f"{'exercise':<22} {'pytest':>9} {'quiz grade':>11} {'overhead':>9}")
    with tempfile.TemporaryDirectory() as home:
        env = {"QUIZ_HOME": home, "QUIZ_WORKSPACE": home, "OMP_NUM_THREADS": "1"}
        for exercise in chosen:
            plain = wall([sys.executable, "-m", "pytest", "-q", "-p", "quizcli.suite_plugin", "-p", "no:cacheprovider",
                          str(exercise.suite)], repeat=3, env={**env, "QUIZ_SOLUTION": str(exercise.solution)})
            graded = wall(QUIZ + ["grade", exercise.slug, "--file", str(exercise.solution), "--json"], repeat=3, env=env)
            print(f"{exercise.slug:<22} {plain:8.2f}s {graded:10.2f}s {graded - plain:+8.2f}s")
    watch_vs_cold(chosen)


if __name__ == "__main__":
    os.chdir(ROOT)
    main(sys.argv[1:])
