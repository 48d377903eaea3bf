"""Grading time of each multi-process (gloo) exercise on this machine, world sizes as the suites run them.

    python benchmarks/distributed.py

Every test of these suites starts real ranks (fork, gloo over a FileStore); the table shows the whole
suite and its slowest test. Target: each suite under ~30 s on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import grade_reference, gradable  # noqa: E402


def main() -> None:
    print(f"{'exercise':<18} {'tests':>5} {'suite':>8}  slowest test")
    with tempfile.TemporaryDirectory() as home:
        for exercise in gradable("distributed"):
            seconds, report = grade_reference(exercise, {"QUIZ_HOME": home})
            tests = report.get("tests", [])
            slowest = max(tests, key=lambda t: t["duration"], default={"name": "-", "duration": 0})
            status = "" if report.get("passed") else "  (reference did not pass!)"
            print(f"{exercise.slug:<18} {len(tests):>5} {seconds:7.1f}s  {slowest['name']} "
                  f"{slowest['duration']:.1f}s{status}")


if __name__ == "__main__":
    main()
