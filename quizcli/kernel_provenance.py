"""Proof that a kernel exercise's outputs come from its Triton kernels, not from torch around the launch.

``assert_kernel_did_the_work`` (re-exported by ``testing_kernels``) runs the wrapper twice: once with every
launch of the solution's kernels replaced by poisoning the tensors the launch would get, once (in the
interpreter) with the stores of every launch traced. ``replaced_run`` is the one place that swaps a kernel's
``run`` (``kernel[grid](...)`` goes through it), shared with ``testing_kernels.launch_counter``.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from . import interpreter_checks
from .interpreter_checks import tensor_span, tracing_stores


@contextlib.contextmanager
def replaced_run(kernels, make_run):
    """Replace ``run`` of each kernel by ``make_run(original)`` for the block (``kernel[grid](...)`` calls ``run``)."""
    saved = []
    for kernel in kernels:
        saved.append((kernel, "run" in vars(kernel), kernel.run))
        kernel.run = make_run(kernel.run)
    try:
        yield
    finally:
        for kernel, had_own, original in reversed(saved):
            if had_own:
                kernel.run = original
            else:
                with contextlib.suppress(AttributeError):
                    del kernel.run


def _kernels_of(module) -> list:
    from triton.runtime.jit import KernelInterface

    kernels = [value for value in vars(module).values() if isinstance(value, KernelInterface)]
    if not kernels:
        raise AssertionError("your solution defines no @triton.jit kernel")
    return kernels


def _tensors(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return []


def _overlaps(t: torch.Tensor, spans) -> bool:
    span = tensor_span(t)
    return span is not None and any(span[0] < end and first < span[1] for first, end in spans)


def _poison(t: torch.Tensor) -> None:
    if t.dtype.is_floating_point:
        t.fill_(float("nan"))
    elif t.dtype != torch.bool:
        t.fill_(torch.iinfo(t.dtype).min)  # -128 for int8: symmetric quantisation never produces it


def _poisoned(t: torch.Tensor) -> torch.Tensor:
    if t.dtype.is_floating_point:
        return torch.isnan(t)
    if t.dtype == torch.bool:
        return torch.ones_like(t)
    return t == torch.iinfo(t.dtype).min


def _addresses(t: torch.Tensor) -> np.ndarray:
    """The byte address of every element of a view."""
    offsets = torch.zeros(t.shape, dtype=torch.int64)
    for dim, (n, stride) in enumerate(zip(t.shape, t.stride())):
        shape = [1] * t.dim()
        shape[dim] = n
        offsets = offsets + (torch.arange(n, dtype=torch.int64) * stride).view(shape)
    return (t.data_ptr() + offsets * t.element_size()).flatten().numpy()


def _name(names, i: int) -> str:
    return names[i] if names and i < len(names) else f"output {i}"


def assert_kernel_did_the_work(solution, call, inputs, outputs=(), names=None) -> None:
    """Prove that every element of the outputs of ``call()`` comes from the solution's kernels.

    1. Every launch of every ``@triton.jit`` kernel of ``solution`` is skipped and the tensors it
       would get (except those sharing memory with ``inputs``) are filled with poison (NaN, or the
       integer minimum): each returned tensor and each of ``outputs`` must then be all poison, so
       nothing but a kernel (or torch arithmetic on what kernels write, e.g. summing partial sums)
       computes them.
    2. In the interpreter the kernels run for real with their stores traced: an output living in
       memory a kernel was given must have every element stored by a kernel (not filled by torch
       before the launch).
    """
    kernels = _kernels_of(solution)
    protected = [span for t in inputs if (span := tensor_span(t))]

    def poisoning(original):
        def run(*args, warmup=False, **kwargs):
            if not warmup:
                for arg in (*args, *kwargs.values()):
                    if isinstance(arg, torch.Tensor) and not _overlaps(arg, protected):
                        _poison(arg)
        return run

    with replaced_run(kernels, poisoning):
        results = [*_tensors(call()), *outputs]
    for i, t in enumerate(results):
        kept = int((~_poisoned(t)).sum())
        if kept:
            raise AssertionError(f"{kept} of {t.numel()} elements of {_name(names, i)} were not computed by your "
                                 "kernel: with the kernel launches skipped they still got values, so torch (or "
                                 "plain Python) computes them; every output element must come from the kernel")
    if interpreter_checks.installed():
        _assert_outputs_stored(kernels, call, outputs, names)


def _assert_outputs_stored(kernels, call, outputs, names) -> None:
    given: list = []

    def recording(original):
        def run(*args, **kwargs):
            given.extend(span for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)
                         if (span := tensor_span(a)))
            return original(*args, **kwargs)
        return run

    with tracing_stores() as stored, replaced_run(kernels, recording):
        results = [*_tensors(call()), *outputs]
    written = np.concatenate(stored) if stored else np.zeros(0, dtype=np.int64)
    for i, t in enumerate(results):
        if t.numel() and _overlaps(t, given):
            missing = int((~np.isin(_addresses(t), written)).sum())
            if missing:
                raise AssertionError(f"{missing} of {t.numel()} elements of {_name(names, i)} were never stored by "
                                     "your kernel (torch wrote them before the launch, or the grid misses them)")
