"""Helpers for Triton kernel suites; import this module BEFORE triton (and before the solution).

    from quizcli.testing_kernels import DEVICE, INTERPRETER, sizes, launch_counter, speed_note, padded, guarded

Mode, decided once at import:

- a CUDA GPU is visible (``torch.cuda.is_available()``): GPU mode, ``DEVICE = "cuda"``, full sizes;
- otherwise: interpreter mode, ``TRITON_INTERPRET=1`` is set (unless the environment already sets it)
  so that ``@triton.jit`` functions imported afterwards run in Triton's CPU interpreter,
  ``DEVICE = "cpu"``, small sizes (every program of the grid runs one after another in Python).

The variable must be set before the first module with a ``@triton.jit`` function is imported
(otherwise Triton looks for a GPU driver: "0 active drivers"); the grader imports the user's module
lazily through the ``solution`` fixture, after this module. In the interpreter bf16 gives wrong
numbers and ``tl.arange`` needs a power-of-2 length; in interpreter mode ``interpreter_checks`` is
installed: every load and store is checked against the tensors passed to the launch (out-of-bounds
lanes are blocked and the launch fails), and autotuned kernels run their first config.

- ``sizes(small, full)``: ``small`` in the interpreter, ``full`` on a GPU.
- ``launch_counter(kernel)``: a context manager counting launches of one ``@triton.jit`` function
  (also an autotuned or heuristics-wrapped one), so a wrapper that computes with torch fails.
- ``assert_kernel_did_the_work(solution, call, inputs)`` (from ``kernel_provenance``): every output element comes from a kernel
  (launches skipped on poisoned buffers leave every output poisoned; in the interpreter, every output
  element in kernel memory was stored by a kernel), so torch filling all or part of it fails.
- ``speed_note(fn, baseline)``: "speed: 0.82× torch (0.031 ms vs 0.025 ms)" on a GPU,
  "interpreter: correctness only" in the interpreter; attach it with ``record_property("note", ...)``.
- ``padded(t, pad, fill)``: a copy of ``t`` living inside a larger buffer filled with ``fill`` (NaN by
  default), so an unmasked load reads poison instead of silently reading neighbouring memory;
  ``padded(t, row_pad=k)`` also pads each row (non-contiguous rows, stride(0) = n_cols + k).
- ``guarded(shape, dtype)``: an output tensor inside a sentinel-filled buffer and a check that the
  kernel wrote nothing outside it (missing tail mask, wrong stride, off-by-one offsets); a failed
  check makes ``require_memory_safe()`` fail later tests that would run the kernel unguarded (a
  stray store outside any guard can abort the process), so put the guarded tests first.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
import torch

from . import interpreter_checks
from .kernel_provenance import assert_kernel_did_the_work, replaced_run

GPU = bool(torch.cuda.is_available())
if not GPU:
    os.environ.setdefault("TRITON_INTERPRET", "1")
INTERPRETER = os.environ.get("TRITON_INTERPRET", "0") not in ("", "0") or not GPU
DEVICE = "cpu" if INTERPRETER else "cuda"
GPU_MEMORY_FRACTION = 0.8  # the grader caps host memory with RLIMIT_DATA on GPU machines; this caps the device
if INTERPRETER:
    interpreter_checks.install()
else:
    torch.cuda.set_per_process_memory_fraction(GPU_MEMORY_FRACTION)

SENTINEL = -12345.0  # default fill of guard regions around outputs (pass fill= for int8 outputs)

__all__ = ["DEVICE", "INTERPRETER", "GPU", "sizes", "launch_counter", "LaunchCounter", "assert_launched",
           "speed_note", "padded", "guarded", "require_memory_safe", "assert_kernel_did_the_work",
           "assert_within_ulps"]


def sizes(small, full):
    """``small`` in the interpreter, ``full`` on a GPU."""
    return small if INTERPRETER else full


class LaunchCounter:
    """Launches of one kernel seen inside a ``launch_counter`` block: ``count`` and the ``grids``."""

    def __init__(self, name: str):
        self.name = name
        self.count = 0
        self.grids: list = []

    def __repr__(self) -> str:
        return f"LaunchCounter({self.name!r}, count={self.count})"


def _kernel_name(kernel) -> str:
    """The Python name under jit/autotune/heuristics wrappers (each keeps the wrapped object in ``.fn``)."""
    inner = kernel
    for _ in range(5):
        if not hasattr(inner, "fn"):
            break
        inner = inner.fn
    return getattr(inner, "__name__", type(kernel).__name__)


def _require_kernel(kernel, name: str) -> None:
    if not hasattr(kernel, "run") or not hasattr(kernel, "__getitem__"):
        raise AssertionError(f"{name} is not a @triton.jit kernel (got {type(kernel).__name__}); "
                             "decorate it with @triton.jit")


@contextlib.contextmanager
def launch_counter(kernel):
    """Count launches of ``kernel`` (a ``@triton.jit`` function) inside the block.

    ``kernel[grid](...)`` goes through ``kernel.run(..., grid=grid, warmup=False)`` for plain jitted
    functions (compiled and interpreted), ``Autotuner`` and ``Heuristics``; the instance's ``run`` is
    wrapped for the duration of the block and restored afterwards.

        with launch_counter(solution.add_kernel) as launches:
            out = solution.add(x, y)
        assert_launched(launches)
    """
    counter = LaunchCounter(_kernel_name(kernel))
    _require_kernel(kernel, counter.name)

    def counting(original):
        def run(*args, **kwargs):
            if not kwargs.get("warmup", False):
                counter.count += 1
                counter.grids.append(kwargs.get("grid"))
            return original(*args, **kwargs)
        return run

    with replaced_run([kernel], counting):
        yield counter


def assert_launched(counter: LaunchCounter, at_least: int = 1) -> None:
    if counter.count < at_least:
        raise AssertionError(f"your kernel {counter.name} was launched {counter.count} time(s), expected at least "
                             f"{at_least}: the wrapper must compute the result with {counter.name}[grid](...), "
                             "not with torch")


def assert_kernel_launched(kernel, call, at_least: int = 1) -> None:
    """Run ``call()`` and fail unless it launched ``kernel`` at least ``at_least`` times."""
    with launch_counter(kernel) as launches:
        call()
    assert_launched(launches, at_least)


def assert_within_ulps(actual: torch.Tensor, exact: torch.Tensor, *, ulps: float = 1.0, name: str = "result") -> None:
    """Fail unless ``actual`` (float16/float32) is within ``ulps`` units in the last place of ``exact`` (float64).

    A float32 computation rounded once to float16 lands within 1 ulp; float16 arithmetic inside drifts further.
    """
    actual = actual.detach().cpu()
    exact = exact.detach().cpu().double()
    rounded = exact.to(actual.dtype)
    step = (torch.nextafter(rounded, torch.full_like(rounded, float("inf"))).double() - rounded.double()).abs()
    error = (actual.double() - exact).abs() / step
    worst = int(torch.nan_to_num(error, nan=float("inf")).flatten().argmax())
    if not error.flatten()[worst] <= ulps:
        index = tuple(int(i) for i in np.unravel_index(worst, tuple(actual.shape)))
        bad = int((~(error <= ulps)).sum())
        raise AssertionError(f"{name}: {bad} of {actual.numel()} values are more than {ulps:g} ulp from the exact "
                             f"result ({actual.dtype}); worst at index {index}: got {float(actual[index]):.6g}, "
                             f"exact {float(exact[index]):.6g} ({float(error.flatten()[worst]):.3g} ulp)")


def speed_note(fn, baseline, *, label: str = "torch", tf32: bool = False) -> str:
    """A one-line speed comparison on a GPU; in the interpreter, a reminder that only correctness is graded.

    ``tf32=True`` for float32 inputs of a kernel whose ``tl.dot`` runs in TF32 (Triton's default): the torch
    baseline then runs with TF32 matmuls allowed too (torch's default is strict float32), like with like.
    """
    if INTERPRETER:
        return "interpreter: correctness only"
    import triton.testing

    ours = float(triton.testing.do_bench(fn))
    with _tf32_allowed(tf32):
        base = float(triton.testing.do_bench(baseline))
    ratio = base / ours if ours > 0 else float("inf")
    precision = "; float32 matmuls in TF32 on both sides" if tf32 else ""
    return f"speed: {ratio:.2f}× {label} ({ours:.3f} ms vs {base:.3f} ms{precision})"


@contextlib.contextmanager
def _tf32_allowed(allowed: bool):
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    if allowed:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _layout(shape, row_pad: int, extra):
    """(padded shape, slices selecting the data) for ``row_pad`` (last dim) or ``extra`` (every dim)."""
    shape = tuple(int(s) for s in shape)
    if extra is None:
        extra = (0,) * (len(shape) - 1) + (row_pad,) if (row_pad and len(shape) >= 2) else (0,) * len(shape)
    extra = tuple(int(e) for e in extra)
    assert len(extra) == len(shape), "extra needs one entry per dimension"
    inner = tuple(s + e for s, e in zip(shape, extra))
    return inner, tuple(slice(0, s) for s in shape), any(extra)


def padded(t: torch.Tensor, pad: int = 1024, fill: float = float("nan"), row_pad: int = 0,
           extra=None) -> torch.Tensor:
    """The values of ``t`` in a view of a larger buffer whose other elements are ``fill``.

    ``pad`` elements before and after the data; with ``row_pad > 0`` (2-D and more) every row (the
    last dimension) gets ``row_pad`` extra elements, so the view is not contiguous and
    ``stride(-2) = t.shape[-1] + row_pad``; ``extra`` (one number per dimension) pads every dimension.
    """
    inner, index, strided = _layout(t.shape, row_pad, extra)
    n = 1
    for s in inner:
        n *= s
    buf = torch.full((n + 2 * pad,), fill, dtype=t.dtype, device=t.device)
    view = buf[pad:pad + n].view(inner)
    if strided:
        view = view[index]
    view.copy_(t)
    return view


class Guard:
    """An output tensor inside a buffer filled with a sentinel; ``check()`` fails when the buffer outside it changed."""

    def __init__(self, shape, dtype, device, pad: int, row_pad: int, fill: float, extra=None):
        inner, index, strided = _layout(shape, row_pad, extra)
        n = 1
        for s in inner:
            n *= s
        self.buf = torch.full((n + 2 * pad,), fill, dtype=dtype, device=device)
        self.fill = self.buf[0].item()
        self.pad = pad
        self.n = n
        self.tensor = self.buf[pad:pad + n].view(inner)
        self.mask = torch.ones(n + 2 * pad, dtype=torch.bool, device=device)
        body = self.mask[pad:pad + n].view(inner)
        if strided:
            self.tensor = self.tensor[index]
            body[index] = False
        else:
            body.fill_(False)

    def check(self, what: str = "output") -> None:
        outside = self.buf[self.mask].cpu()
        changed = ~(outside == self.fill)
        if changed.any():
            idx = torch.nonzero(self.mask.cpu()).flatten()[changed]
            before = int((idx < self.pad).sum())
            after = int((idx >= self.pad + self.n).sum())
            between = len(idx) - before - after
            parts, causes = [], []
            if after:
                parts.append(f"{after} past the end")
                causes.append("a store without the tail mask, or a mask off by one")
            if before:
                parts.append(f"{before} before the start")
                causes.append("negative or shifted offsets")
            if between:
                parts.append(f"{between} in the gaps between rows")
                causes.append("a store without the mask on a partial block, or rows addressed with the "
                              "width (n_cols, seq_len) instead of the tensor's strides")
            message = (f"your kernel wrote {len(idx)} value(s) outside the {what} tensor ({', '.join(parts)}): "
                       f"likely {'; or '.join(causes)}")
            _UNSAFE.setdefault(_current_suite(), message)
            raise AssertionError(message)


_UNSAFE: dict[str, str] = {}  # suite file -> first out-of-bounds write seen there


def _current_suite() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "").split("::", 1)[0]


def require_memory_safe() -> None:
    """Fail (without running anything) once a guarded test saw the kernel write outside its output.

    Call it before running the user's kernel on tensors WITHOUT guard regions: there a stray store
    lands in someone else's memory and can abort the whole process (the interpreter checks nothing).
    Put the guarded tests first in the suite.
    """
    if _current_suite() in _UNSAFE:
        import pytest

        pytest.fail("not run: an earlier test caught your kernel writing outside its output tensor "
                    "(see the tail-masking test); on unguarded tensors that could crash the process", pytrace=False)


def guarded(shape, dtype=torch.float32, device=None, pad: int = 1024, row_pad: int = 0,
            fill: float = SENTINEL, extra=None) -> Guard:
    """An output tensor (``guard.tensor``) inside a sentinel-filled buffer; call ``guard.check()`` after the kernel.

    ``row_pad``/``extra``: gaps after every row / along every dimension, as in ``padded``.
    """
    return Guard(shape, dtype, device or DEVICE, pad, row_pad, fill, extra)
