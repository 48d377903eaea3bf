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


TORCH_BEFORE_A_NO_OP_LAUNCH = '''
import torch
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pass


def add(x, y, out=None):
    out = torch.empty_like(x) if out is None else out
    torch.add(x, y, out=out)  # torch fills the output, then a kernel that does nothing is launched on it
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK_SIZE=1024)
    return out
'''

UNMASKED_LOAD_NEVER_STORED = '''
import torch
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    inside = offsets < n_elements
    x = tl.load(x_ptr + offsets)  # past the end in the last block; those lanes are never stored
    y = tl.load(y_ptr + offsets, mask=inside)
    tl.store(out_ptr + offsets, x + y, mask=inside)


def add(x, y, out=None):
    out = torch.empty_like(x) if out is None else out
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK_SIZE=1024)
    return out
'''


def grade_vector_add(tmp_path, source):
    solution = tmp_path / "solution.py"
    solution.write_text(source)
    result = run_suite(load_exercise("vector_add"), solution)
    return result, {t.name: t for t in result.tests}


@pytest.mark.skipif(bool(missing_requirements(["torch", "triton"])), reason="needs torch and triton")
def test_torch_filling_the_output_before_a_no_op_launch_fails(tmp_path):
    result, tests = grade_vector_add(tmp_path, TORCH_BEFORE_A_NO_OP_LAUNCH)
    assert not result.passed
    checks = [t for name, t in tests.items() if name.startswith("test_every_output_element_comes_from_the_kernel")]
    assert checks and all(t.outcome == "failed" and "never stored by your kernel" in t.message for t in checks), \
        [t.message for t in checks]


@pytest.mark.skipif(bool(missing_requirements(["torch", "triton"])), reason="needs torch and triton")
def test_an_unmasked_load_fails_even_when_its_values_are_never_stored(tmp_path):
    result, tests = grade_vector_add(tmp_path, UNMASKED_LOAD_NEVER_STORED)
    assert not result.passed and result.verdict == "failed", result.verdict
    check = tests["test_tail_block_is_masked[1000]"]
    assert check.outcome == "failed" and "read 24 element(s) outside x_ptr (past its end)" in check.message, \
        check.message
    assert "outside y_ptr" not in check.message


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
