"""Assertions for hidden suites: mismatches explained, never a wall of numbers.

Used inside the grading process only (it imports numpy, and torch when given tensors).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import mistakes


def _as_array(value: Any) -> tuple[np.ndarray, str]:
    """A float64 (or bool/int) numpy copy of ``value`` and the name of its original dtype."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        dtype = str(value.dtype).replace("torch.", "")
        tensor = value.detach().cpu()
        if tensor.is_floating_point() or tensor.is_complex():
            tensor = tensor.double()
        return tensor.numpy(), dtype
    array = np.asarray(value)
    return array, str(array.dtype)


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _mismatch(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    actual = actual.astype(np.float64)
    expected = expected.astype(np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(actual - expected) <= atol + rtol * np.abs(expected))
    both_nan = np.isnan(actual) & np.isnan(expected)
    both_inf = np.isinf(actual) & (actual == expected)
    return bad & ~both_nan & ~both_inf


def is_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    a, _ = _as_array(actual)
    e, _ = _as_array(expected)
    return a.shape == e.shape and not _mismatch(a, e, rtol, atol).any()


def assert_close(actual: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-8,
                 name: str = "result", dtype: str | None = None,
                 mistakes: Mapping[str, Any] | None = None) -> None:
    """Fail with shapes, dtypes, tolerance, the largest errors and their index.

    ``dtype``: the dtype name the result must have (e.g. "float32").
    ``mistakes``: known wrong answers by name; a result that matches one is named in the message. A value may be
    a function of no arguments: it is called only when the check fails (suites whose wrong answers cost a
    forward pass each stay fast on a passing solution).
    """
    if actual is None:
        raise AssertionError(f"{name}: got None (did you forget to return it?)")
    a, a_dtype = _as_array(actual)
    e, e_dtype = _as_array(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{name}: shape {tuple(a.shape)} ({a_dtype}), expected {tuple(e.shape)} ({e_dtype})"
                             + _named_mistake(actual, expected, mistakes, rtol, atol))
    if dtype is not None and a_dtype != dtype:
        raise AssertionError(f"{name}: dtype {a_dtype}, expected {dtype} (shape {tuple(a.shape)})")
    bad = _mismatch(a, e, rtol, atol)
    if not bad.any():
        return
    af, ef = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_err = np.where(np.isnan(af - ef), np.inf, np.abs(af - ef))
        rel_err = np.where(bad & (ef != 0) & np.isfinite(ef), abs_err / np.abs(np.where(ef == 0, 1, ef)), -1)
    i_abs = _index(int(np.argmax(np.where(bad, abs_err, -1))), a.shape)
    got, want = _distinct(af[i_abs], ef[i_abs])
    lines = [
        f"{name}: {int(bad.sum())} of {bad.size} values differ (rtol={rtol:g}, atol={atol:g}); "
        f"shape {tuple(a.shape)}, dtype {a_dtype} vs expected {e_dtype}",
        f"  largest abs error {abs_err[i_abs]:.3g} at index {i_abs}: got {got}, expected {want}",
    ]
    if (rel_err >= 0).any():  # relative error only where the expected value is not 0
        i_rel = _index(int(np.argmax(rel_err)), a.shape)
        lines.append(f"  largest rel error {rel_err[i_rel]:.3g} at index {i_rel}")
    raise AssertionError("\n".join(lines) + _named_mistake(actual, expected, mistakes, rtol, atol))


def _distinct(got: float, want: float) -> tuple[str, str]:
    """Both values with the fewest significant digits (at least 6) that tell them apart."""
    for digits in range(6, 18):
        a, b = f"{got:.{digits}g}", f"{want:.{digits}g}"
        if a != b:
            return a, b
    return repr(float(got)), repr(float(want))


MATCHED: list[str] = []  # ids of the mistakes named in the running test; suite_plugin reports and clears them


def _named_mistake(actual: Any, expected: Any, mistakes: Mapping[str, Any] | None, rtol: float, atol: float) -> str:
    """Every known mistake the result matches at the test's own tolerance and the right answer does not (a
    mistake that coincides with the right answer on this input says nothing); two that give the same wrong
    answer here are both named, since this input cannot tell them apart."""
    named = []
    for label, wrong in (mistakes or {}).items():
        wrong = wrong() if callable(wrong) else wrong
        if (wrong is not None and is_close(actual, wrong, rtol=rtol, atol=atol)
                and not is_close(expected, wrong, rtol=rtol, atol=atol)):
            named.append(label)
    for label in named[1:]:
        known_mistake(label)
    return known_mistake(named[0]) + "".join(f" (or: {label})" for label in named[1:]) if named else ""


def known_mistake(label: str) -> str:
    """The message line that names a classic mistake, recording its id for the grade (a Label from
    ``mistake_labels``). For suites that decide by themselves that a result is that mistake."""
    if getattr(label, "id", ""):
        MATCHED.append(label.id)
    return f"\n  this looks like a known mistake: {label}"


class Label(str):
    """A mistake's label text that remembers the mistake's id (so a grade can report which mistake it saw)."""

    id: str = ""


def mistake_labels(suite_file: str) -> dict[str, Label]:
    """``{mistake id: label}`` from the ``mistakes.yaml`` beside the suite, in the grading language (QUIZ_LANG)."""
    lang = os.environ.get("QUIZ_LANG", "en")
    labels = {}
    for mistake in mistakes.load(Path(suite_file).with_name(mistakes.FILE_NAME)):
        labels[mistake.id] = Label(mistake.text(lang))
        labels[mistake.id].id = mistake.id
    return labels


def assert_same_gradients(fn, reference, inputs: list, upstream, names: str, *, rtol: float, atol: float,
                          what: str = "") -> None:
    """Backpropagate ``upstream`` through ``fn(*inputs)`` and ``reference(*inputs)`` (fresh leaf copies each) and
    compare the gradients of every input, named by the letters of ``names``."""
    got = [t.clone().requires_grad_() for t in inputs]
    (fn(*got) * upstream).sum().backward()
    ref = [t.clone().requires_grad_() for t in inputs]
    (reference(*ref) * upstream).sum().backward()
    for name, a, e in zip(names, got, ref):
        if a.grad is None:
            raise AssertionError(f"no gradient reached {name}: keep the computation differentiable")
        assert_close(a.grad, e.grad, rtol=rtol, atol=atol, name=f"d loss / d {name}{what}")


def expect_value_error(fn, what: str) -> None:
    """Call ``fn``; fail unless it raises ValueError, saying what happened instead."""
    try:
        fn()
    except ValueError:
        return
    except Exception as exc:  # noqa: BLE001 - any other error is the wrong one
        raise AssertionError(f"{what}: raised {type(exc).__name__} ({exc}); expected ValueError") from None
    raise AssertionError(f"{what}: no error raised; expected ValueError")
