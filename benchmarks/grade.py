"""Grading overhead: `quiz grade` on each reference vs plain pytest on the same suite, in one run.

    python benchmarks/grade.py [SLUG ...]

Both pay for importing torch once; the difference is what quiz adds (CLI start-up, temp folder, sandbox,
result pipe, recording the attempt). Target: ≤ 1.5 s per exercise.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from _timing import QUIZ, wall

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizcli.content import load_exercises  # noqa: E402
from quizcli.exercises import missing_requirements  # noqa: E402


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


if __name__ == "__main__":
    os.chdir(ROOT)
    main(sys.argv[1:])
