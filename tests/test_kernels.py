"""Kernel exercises: a torch re-implementation cannot pass, and what `doctor` says decides what is graded."""

import pytest

from quizcli import doctor
from quizcli.content import load_exercise, load_exercises
from quizcli.exercises import missing_requirements
from quizcli.runner import run_suite

TORCH_WRAPPER = '''
import torch
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pass


def add(x, y, out=None):
    result = x + y  # computed by torch: the kernel is never launched
    if out is None:
        return result
    out.copy_(result)
    return out
'''


@pytest.mark.skipif(bool(missing_requirements(["torch", "triton"])), reason="needs torch and triton")
def test_a_wrapper_that_calls_torch_instead_of_the_kernel_fails(tmp_path):
    solution = tmp_path / "solution.py"
    solution.write_text(TORCH_WRAPPER)
    result = run_suite(load_exercise("vector_add"), solution)
    assert not result.passed
    launched = [t for t in result.tests if t.name == "test_kernel_is_launched"]
    assert launched and launched[0].outcome == "failed"
    assert "was launched 0 time(s)" in launched[0].message


def report(**checks):
    base = {"torch": "2.13", "gloo": True, "triton": "3.9", "triton_interpreter": True, "cuda_devices": [],
            "checks": [{"name": "numpy", "ok": True}]}
    return {**base, **checks}


def test_can_grade_follows_the_report():
    assert doctor.can_grade(["numpy"], report())
    assert doctor.can_grade(["torch", "triton"], report())
    assert not doctor.can_grade(["torch", "triton"], report(triton=None))
    assert not doctor.can_grade(["torch", "triton"], report(triton_interpreter=False))
    assert doctor.can_grade(["torch", "triton"], report(triton_interpreter=False, cuda_devices=["H100"]))
    assert not doctor.can_grade(["torch", "distributed"], report(gloo=False))
    assert not doctor.can_grade(["cuda"], report())
    assert doctor.can_grade(["cuda"], report(cuda_devices=["H100"]))


TRITON = [e for e in load_exercises() if "triton" in e.requires]


@pytest.mark.gpu
@pytest.mark.parametrize("exercise", TRITON, ids=lambda e: e.slug)
def test_kernels_at_full_size_report_speed_on_a_gpu(exercise):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    result = run_suite(exercise, exercise.solution)
    assert result.passed, result.message
    notes = [note for test in result.tests for note in test.notes]
    assert any(note.startswith("speed:") for note in notes), notes
