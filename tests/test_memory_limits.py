"""Memory limits of a grade: RLIMIT_AS on CPU machines, RLIMIT_DATA where CUDA may start (its driver reserves
far more address space than any cap); either way a 64 GB allocation fails cleanly. Runs on the CPU."""

import resource
import subprocess
import sys

from conftest import COURSE, FIXTURES

from quizcli import runner
from quizcli.content import read_exercise
from quizcli.runner import run_suite

ECHO = read_exercise(COURSE / "exercises" / "echo")
REPORT = "import resource; print(*(resource.getrlimit(getattr(resource, n))[0] for n in ('RLIMIT_AS', 'RLIMIT_DATA')))"


def test_cuda_machines_cap_data_not_address_space():
    cpu, cuda = dict(runner.memory_limits(cuda=False)), dict(runner.memory_limits(cuda=True))
    assert cpu["RLIMIT_AS"] == runner.MEMORY_LIMIT and "RLIMIT_DATA" not in cpu
    assert cuda["RLIMIT_DATA"] == runner.MEMORY_LIMIT and "RLIMIT_AS" not in cuda
    assert cpu["RLIMIT_FSIZE"] == cuda["RLIMIT_FSIZE"] == runner.FILE_LIMIT


def test_the_chosen_limits_are_applied_in_the_child(monkeypatch):
    monkeypatch.setattr(runner, "LIMITS", runner.memory_limits(cuda=True))
    out = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True, check=True,
                         preexec_fn=runner._limit_resources).stdout.split()
    address_space, data = (int(v) for v in out)
    assert data == runner.MEMORY_LIMIT
    assert address_space == resource.getrlimit(resource.RLIMIT_AS)[0]  # left as it was: CUDA can reserve


def test_a_64_gb_allocation_fails_cleanly_under_the_cuda_limits(monkeypatch):
    monkeypatch.setattr(runner, "LIMITS", runner.memory_limits(cuda=True))
    result = run_suite(ECHO, FIXTURES / "hostile" / "huge_memory.py", timeout=10)
    assert not result.passed and result.verdict == "failed", (result.verdict, result.message)
    assert "MemoryError" in " | ".join(t.message for t in result.tests)
