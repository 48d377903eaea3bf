"""What this machine can grade: python, torch, CUDA devices, triton (and its CPU interpreter), gloo, cores.

``collect()`` returns a report dict; ``can_grade(requires, report)`` says whether an exercise with
those ``requires`` can be graded here. Heavy imports (torch, triton) happen only inside ``collect``;
the triton interpreter is tried in a subprocess with a timeout so a broken install cannot hang us.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

INTERPRETER_TIMEOUT_S = 60

_INTERPRETER_PROBE = textwrap.dedent("""
    import os
    os.environ["TRITON_INTERPRET"] = "1"
    import torch, triton, triton.language as tl

    @triton.jit
    def _add(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask) + tl.load(y_ptr + offs, mask=mask), mask=mask)

    x = torch.arange(10, dtype=torch.float32)
    y = torch.ones(10, dtype=torch.float32)
    out = torch.empty(10, dtype=torch.float32)
    _add[(3,)](x, y, out, 10, BLOCK=4)
    assert torch.equal(out, x + y), out
    print("ok")
""")


SOURCE_TREE = Path(__file__).resolve().parent.parent


def install_command(extra: str, tree: Path = SOURCE_TREE) -> str:
    """The pip command that installs an extra (torch, triton) for how quiz was installed.

    quiz is not on a package index, so ``pip install 'quiz-ml[torch]'`` cannot work: a clone installs
    its own extra; an installed wheel gets the extra's requirements spelled out.
    """
    if (tree / "pyproject.toml").is_file():
        return f"cd {shlex.quote(str(tree))} && pip install '.[{extra}]'"
    from importlib import metadata

    try:
        marker = re.compile(rf"""extra\s*==\s*["']{extra}["']""")
        wanted = [r.split(";")[0].strip() for r in metadata.requires("quiz-ml") or [] if marker.search(r)]
    except metadata.PackageNotFoundError:
        wanted = []
    return "pip install " + " ".join(shlex.quote(w) for w in wanted or [extra])


def _check(name: str, ok: bool, detail: str, fix: str = "") -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail, "fix": "" if ok else fix}


def _cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _probe_interpreter(timeout: float) -> tuple[bool, str]:
    env = dict(os.environ, TRITON_INTERPRET="1", OMP_NUM_THREADS="1")
    try:
        proc = subprocess.run([sys.executable, "-c", _INTERPRETER_PROBE], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return False, f"a tiny kernel did not finish within {timeout:g} s"
    except OSError as exc:
        return False, f"could not start python: {exc}"
    if proc.returncode == 0 and "ok" in proc.stdout:
        return True, "TRITON_INTERPRET=1 runs kernels on the CPU"
    lines = (proc.stderr or proc.stdout or "").strip().splitlines()
    return False, f"a tiny kernel failed (exit {proc.returncode}): {lines[-1] if lines else 'no output'}"


def collect(interpreter_timeout: float = INTERPRETER_TIMEOUT_S) -> dict:
    """Check the environment; every entry of ``checks`` is {name, ok, detail, fix}."""
    checks: list[dict] = []
    info: dict = {"python": platform.python_version(), "cpu_cores": _cpu_cores(), "torch": None,
                  "cuda_devices": [], "triton": None, "triton_interpreter": False, "gloo": False}

    checks.append(_check("python", sys.version_info >= (3, 10), f"Python {info['python']} ({sys.executable})",
                         "use Python 3.10 or newer"))
    try:
        import numpy
        checks.append(_check("numpy", True, f"numpy {numpy.__version__}"))
        info["numpy"] = numpy.__version__
    except Exception as exc:  # noqa: BLE001 - a broken install is a finding, not a crash
        checks.append(_check("numpy", False, f"numpy cannot be imported: {exc}", "pip install numpy"))
        info["numpy"] = None

    torch = None
    try:
        import torch  # noqa: F811
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only build"
        info["torch"] = torch.__version__
        checks.append(_check("torch", True, f"torch {torch.__version__} ({build})"))
    except Exception as exc:  # noqa: BLE001
        checks.append(_check("torch", False, f"torch is not installed ({type(exc).__name__})",
                             install_command("torch")))

    if torch is not None:
        try:
            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            info["cuda_devices"] = [torch.cuda.get_device_name(i) for i in range(count)]
        except Exception as exc:  # noqa: BLE001
            count, info["cuda_devices"] = 0, []
            checks.append(_check("cuda", False, f"CUDA query failed: {exc}", "check the NVIDIA driver (nvidia-smi)"))
        else:
            if count:
                names = ", ".join(sorted(set(info["cuda_devices"])))
                checks.append(_check("cuda", True, f"{count} CUDA device(s): {names}"))
            else:
                why = "torch is a CPU-only build" if not torch.version.cuda else "no CUDA device visible"
                checks.append(_check("cuda", False, f"{why}: kernel exercises run in the Triton interpreter; "
                                     "GPU-only tests are skipped",
                                     "optional: use a machine with an NVIDIA GPU and a CUDA build of torch"))
        try:
            import torch.distributed as dist
            info["gloo"] = bool(dist.is_available() and dist.is_gloo_available())
        except Exception:  # noqa: BLE001
            info["gloo"] = False
        checks.append(_check("gloo", info["gloo"],
                             "torch.distributed with the gloo backend" if info["gloo"]
                             else "torch.distributed/gloo is not available in this torch build",
                             "install a torch build with distributed support: " + install_command("torch")))
    else:
        checks.append(_check("cuda", False, "torch is not installed", install_command("torch")))
        checks.append(_check("gloo", False, "torch is not installed", install_command("torch")))

    try:
        import triton
        info["triton"] = triton.__version__
        checks.append(_check("triton", True, f"triton {triton.__version__}"))
    except Exception as exc:  # noqa: BLE001
        checks.append(_check("triton", False, f"triton is not installed ({type(exc).__name__})",
                             install_command("triton")))
    if info["triton"] and info["torch"]:
        ok, detail = _probe_interpreter(interpreter_timeout)
        info["triton_interpreter"] = ok
        checks.append(_check("triton interpreter", ok, detail, "reinstall triton: " + install_command("triton")))
    elif info["triton"]:
        checks.append(_check("triton interpreter", False, "needs torch", install_command("torch")))

    cores = info["cpu_cores"]
    checks.append(_check("cpu cores", cores >= 2, f"{cores} core(s) available",
                         "distributed exercises start 2–4 processes: 2+ cores recommended"))
    info["checks"] = checks
    return info


def can_grade(requires: list[str], report: dict) -> bool:
    """Whether an exercise needing ``requires`` (numpy, torch, triton, distributed, cuda) can be graded here."""
    ok = {c["name"]: c["ok"] for c in report.get("checks", [])}
    have_torch = bool(report.get("torch"))
    for need in requires or []:
        if need == "numpy":
            if not ok.get("numpy", True):
                return False
        elif need == "torch":
            if not have_torch:
                return False
        elif need == "distributed":
            if not (have_torch and report.get("gloo")):
                return False
        elif need == "triton":
            # without a GPU the suite runs in the interpreter, which must work
            if not (have_torch and report.get("triton")):
                return False
            if not report.get("cuda_devices") and not report.get("triton_interpreter"):
                return False
        elif need == "cuda":
            if not (have_torch and report.get("cuda_devices")):
                return False
        else:
            return False
    return True
