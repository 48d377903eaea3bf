#!/usr/bin/env bash
# The GPU path, run for real (issue 17). On a CUDA machine: quiz doctor, benchmarks/kernels.py at full size
# (reference kernels against torch; run first, on an idle GPU), the GPU-marked tests, and quiz selftest of
# every Triton exercise; all of it into one report. Installs nothing it cannot find locally. Every step is
# stopped at a shared deadline, so the whole check ends within 8 minutes; what did not finish says so.
#
#   bash benchmarks/gpu_check.sh [REPORT]     REPORT defaults to gpu_report.md; GPU_CHECK_SECONDS=450
set -u
cd "$(dirname "$0")/.."
REPORT=${1:-gpu_report.md}
BUDGET=${GPU_CHECK_SECONDS:-450}
START=$(date +%s)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

left() { echo $(( BUDGET - ($(date +%s) - START) )); }
step() {  # step SECONDS_CAP NAME COMMAND...: run under min(cap, time left), output kept in $WORK/NAME.log
  local cap=$1 name=$2; shift 2
  local limit; limit=$(left); [ "$limit" -gt "$cap" ] && limit=$cap
  if [ "$limit" -lt 10 ]; then echo "skipped: out of time" >"$WORK/$name.log"; return 124; fi
  timeout --kill-after=5 "$limit" "$@" >"$WORK/$name.log" 2>&1
  local rc=$?; [ $rc -eq 124 ] && echo "stopped after ${limit} s (time budget)" >>"$WORK/$name.log"
  return $rc
}

PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
if ! $PY -c "import quizcli, torch, triton" 2>/dev/null; then
  # only what is already on this machine: no index, no downloads, no build isolation
  $PY -m pip install --no-index --no-build-isolation --no-deps -e . >"$WORK/install.log" 2>&1 || true
fi
GPU_PROBE="import quizcli, torch, triton; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'"
[ -n "${GPU_CHECK_ALLOW_CPU:-}" ] && GPU_PROBE="import quizcli, torch, triton"  # a dry run of the plumbing
if ! $PY -c "$GPU_PROBE" 2>"$WORK/probe.log"; then
  { echo "# GPU check: not run"; echo; echo "quizcli, torch, triton and a CUDA GPU are needed here:"
    echo '```'; tail -5 "$WORK/probe.log"; echo '```'; } >"$REPORT"
  echo "no usable CUDA GPU; see $REPORT"; exit 2
fi
SLUGS=${GPU_CHECK_SLUGS:-$($PY -c "from quizcli.content import load_exercises as l
print(*[e.slug for e in l() if 'triton' in e.requires])")}
export QUIZ_HOME="$WORK/home" QUIZ_WORKSPACE="$WORK/workspace"

step 60 doctor $PY -m quizcli doctor
step 240 kernels $PY benchmarks/kernels.py --json "$WORK/kernels.json"
step 150 pytest_gpu $PY -m pytest tests/test_kernels.py -m gpu -q -p no:cacheprovider
mkdir -p "$WORK/selftest"
selftest_one() { "$PY" -m quizcli selftest "$1" --json >"$WORK/selftest/$1.json" 2>>"$WORK/selftest/errors.log"; }
export -f selftest_one; export PY WORK
# three exercises at a time (each selftest grades two cases at once): kernels compile on the CPU cores
step 600 selftest bash -c "printf '%s\n' $SLUGS | xargs -P 3 -n 1 bash -c 'selftest_one \"\$0\"'"

$PY - "$WORK" "$SLUGS" "$(( $(date +%s) - START ))" >"$REPORT" <<'EOF'
import json, sys
from pathlib import Path

work, slugs, seconds = Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3]
def load(path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default
rows = load(work / "kernels.json", [])
print(f"# GPU check ({seconds} s)\n")
print("| kernel | reference passed | selftest | test | kernel ms | torch ms | ratio (torch / kernel) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for slug in slugs:
    cases = load(work / "selftest" / f"{slug}.json", {}).get("results", [])
    selftest = f"{sum(c['ok'] for c in cases)}/{len(cases)} ok" if cases else "not finished"
    bad = [c["case"] for c in cases if not c["ok"]]
    if bad:
        selftest += " (wrong: " + ", ".join(bad) + ")"
    mine = [r for r in rows if r["exercise"] == slug] or [{"passed": None, "note": "not run"}]
    for r in mine:
        passed = {True: "yes", False: "NO", None: "?"}[r["passed"]]
        timing = (f"{r['kernel_ms']:.3f} | {r['torch_ms']:.3f} | {r['ratio']:.2f}" if "ratio" in r
                  else f"- | - | - ({r.get('note', '')[:80]})")
        print(f"| {slug} | {passed} | {selftest} | {r.get('test', '-')} | {timing} |")
for name in ("doctor", "kernels", "pytest_gpu", "selftest"):
    log = work / f"{name}.log"
    text = log.read_text(errors="replace") if log.exists() else "(no output)"
    print(f"\n## {name}\n\n```\n{chr(10).join(text.splitlines()[-40:])}\n```")
EOF
echo "report: $REPORT ($(( $(date +%s) - START )) s)"
