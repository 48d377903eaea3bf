"""Triton kernel exercises: grading time per exercise, and on a CUDA GPU each kernel's speed against torch.

    python benchmarks/kernels.py

Without a GPU the suites run in Triton's interpreter at small sizes (correctness only; target: each suite
under ~30 s on 2 cores). With a GPU the suites run at full size and their tests report
"speed: N× torch" notes (triton.testing.do_bench), which are printed here. Target there: within 1.2×
of torch eager, fused kernels faster.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import grade_reference, gradable  # noqa: E402


def main() -> None:
    print(f"{'exercise':<22} {'tests':>5} {'suite':>8}  notes")
    with tempfile.TemporaryDirectory() as home:
        for exercise in gradable("triton"):
            seconds, report = grade_reference(exercise, {"QUIZ_HOME": home})
            notes = sorted({note for t in report.get("tests", []) for note in t.get("notes", [])})
            status = "" if report.get("passed") else "  (reference did not pass!)"
            print(f"{exercise.slug:<22} {len(report.get('tests', [])):>5} {seconds:7.1f}s  "
                  f"{'; '.join(notes) or '-'}{status}")


if __name__ == "__main__":
    main()
