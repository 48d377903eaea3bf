"""Triton kernel exercises: grading time per exercise, and on a CUDA GPU each reference kernel's speed against torch.

    python benchmarks/kernels.py [--json OUT]

Without a GPU the suites run in Triton's interpreter at small sizes (correctness only; target: each suite
under ~30 s on 2 cores). With a GPU the suites run at full size and their tests attach
"speed: R× torch (A ms vs B ms)" notes (triton.testing.do_bench); this prints one row per note: the
reference kernel's time, torch's time and the ratio (torch time / kernel time: above 1 the kernel is faster).
Target there: within 1.2× of torch eager, fused kernels faster.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import grade_reference, gradable  # noqa: E402

SPEED = re.compile(r"speed: (?P<ratio>[\d.]+|inf)× (?P<baseline>.+?) \((?P<ours>[\d.]+) ms vs (?P<base>[\d.]+) ms")


def rows_of(slug: str, report: dict, seconds: float) -> list[dict]:
    """One row per speed note of a graded reference (one row without timings when there is none)."""
    base = {"exercise": slug, "passed": bool(report.get("passed")), "suite_s": round(seconds, 1)}
    rows = []
    for test in report.get("tests", []):
        for note in test.get("notes", []):
            if match := SPEED.search(note):
                rows.append({**base, "test": test["name"], "kernel_ms": float(match["ours"]),
                             "torch_ms": float(match["base"]), "ratio": float(match["ratio"]),
                             "baseline": match["baseline"], "note": note})
    return rows or [{**base, "note": report.get("message", "") if not base["passed"] else "no speed note"}]


def main() -> None:
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    rows: list[dict] = []
    print(f"{'exercise':<22} {'passed':<6} {'suite':>7}  {'kernel ms':>9} {'torch ms':>9} {'ratio':>6}  test")
    with tempfile.TemporaryDirectory() as home:
        for exercise in gradable("triton"):
            seconds, report = grade_reference(exercise, {"QUIZ_HOME": home})
            for row in rows_of(exercise.slug, report, seconds):
                rows.append(row)
                timing = (f"{row['kernel_ms']:9.3f} {row['torch_ms']:9.3f} {row['ratio']:6.2f}" if "ratio" in row
                          else f"{'-':>9} {'-':>9} {'-':>6}")
                print(f"{row['exercise']:<22} {'yes' if row['passed'] else 'NO':<6} {row['suite_s']:6.1f}s  "
                      f"{timing}  {row.get('test', row['note'])}", flush=True)
            if out:  # after every exercise: a run stopped at a deadline keeps what it measured
                Path(out).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
