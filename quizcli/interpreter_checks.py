"""Checks patched into Triton's CPU interpreter inside the grading process (``install()``, once).

- Bounds: every ``tl.load``/``tl.store``/atomic address is checked against the tensors passed to the
  launch. Out-of-bounds lanes are masked off (a stray store can no longer corrupt the heap) and the
  launch then fails with "your kernel read N element(s) outside x_ptr …", even when the values read
  were never stored (value checks cannot see those).
- Store tracing: inside ``tracing_stores()`` the addresses every launch stored to are recorded, so a
  suite can prove that each output element was written by a kernel.
- ``triton.autotune`` with several configs runs the first config (benchmarking needs a GPU).
"""

from __future__ import annotations

import contextlib

import numpy as np

_spans: list[tuple[int, int, str]] = []  # (first byte, end byte, argument name) of the launch in progress
_violations: dict[tuple[str, str, str], int] = {}  # (verb, argument, where) -> lanes
_written: set[int] = set()  # spans this launch stored into: the likely owners of its stray stores
_stored: list[np.ndarray] | None = None  # addresses stored to, while tracing
_installed = False


class OutOfBounds(AssertionError):
    """A kernel touched memory outside every tensor passed to it."""


def tensor_span(t) -> tuple[int, int] | None:
    """(first byte, end byte) of the memory a tensor view can address; None when empty."""
    if t.numel() == 0:
        return None
    low = sum((n - 1) * s for n, s in zip(t.shape, t.stride()) if s < 0)
    high = sum((n - 1) * s for n, s in zip(t.shape, t.stride()) if s > 0)
    item = t.element_size()
    return t.data_ptr() + low * item, t.data_ptr() + (high + 1) * item


def _record_spans(names, args) -> None:
    _spans.clear()
    for name, arg in zip(names, args):
        span = tensor_span(arg) if hasattr(arg, "data_ptr") and hasattr(arg, "numel") else None
        if span:
            _spans.append((*span, name))


def _count_violations(addr: np.ndarray, verb: str) -> None:
    """Blame each out-of-bounds address on the argument starting below it (an overrun past its end, the
    common case), or when there is none on the lowest argument (an access before its start). A stray store
    is blamed only on arguments the launch stores into, when it has stored anywhere yet."""
    owners = _written if verb != "read" and _written else set(range(len(_spans)))
    never = np.iinfo(np.int64).max  # a first byte no address reaches: the argument is not a candidate
    firsts = np.array([s[0] if i in owners else never for i, s in enumerate(_spans)], dtype=np.int64)
    below = np.where(firsts[None, :] <= addr[:, None], firsts[None, :], np.iinfo(np.int64).min)
    past = below.max(axis=1) > np.iinfo(np.int64).min
    blamed = np.where(past, below.argmax(axis=1), int(firsts.argmin()))
    for index, is_past in {(int(i), bool(p)) for i, p in zip(blamed, past)}:
        count = int(((blamed == index) & (past == is_past)).sum())
        key = (verb, _spans[index][2], "past its end" if is_past else "before its start")
        _violations[key] = _violations.get(key, 0) + count


def _checked_mask(ptrs, mask, verb: str) -> np.ndarray:
    addr = ptrs.data.astype(np.int64)
    lanes = np.broadcast_to(np.asarray(mask.data if mask is not None else True, dtype=bool), addr.shape)
    size = max(ptrs.get_element_ty().primitive_bitwidth // 8, 1)
    inside = np.zeros(addr.shape, dtype=bool)
    for index, (first, end, _) in enumerate(_spans):
        hit = (addr >= first) & (addr + size <= end)
        inside |= hit
        if verb != "read" and (hit & lanes).any():
            _written.add(index)
    bad = lanes & ~inside
    if bad.any():
        if not _spans:
            raise OutOfBounds(f"your kernel {verb} memory although no tensor was passed to it")
        _count_violations(addr[bad], verb)
    allowed = lanes & inside
    if verb != "read" and _stored is not None:
        _stored.append(addr[allowed].copy())
    return allowed


def _message() -> str:
    parts = [f"{verb} {n} element(s) outside {name} ({where})" for (verb, name, where), n in _violations.items()]
    verbs = {verb for verb, _, _ in _violations}
    fix = ("mask every tl.load with the bounds of its tensor (a load must stay inside its tensor even when "
           "its values are never used)" if verbs == {"read"} else
           "mask every tl.store/tl.load with the bounds of its tensor (offsets < n, rows < M, the K tail …)")
    return f"your kernel {'; '.join(parts)}: {fix}; the stray accesses were blocked"


def _wrap_executor(GridExecutor) -> None:
    init, call = GridExecutor._init_args_hst, GridExecutor.__call__

    def init_args(self, args_dev, kwargs):
        args_hst, kwargs_hst = init(self, args_dev, kwargs)
        _record_spans([*self.arg_names[:len(args_hst)], *kwargs_hst], [*args_hst, *kwargs_hst.values()])
        return args_hst, kwargs_hst

    def checked_call(self, *args, **kwargs):
        _violations.clear()
        _written.clear()
        try:
            call(self, *args, **kwargs)
        finally:
            _spans.clear()
        if _violations:
            message = _message()
            _violations.clear()
            raise OutOfBounds(message)

    GridExecutor._init_args_hst, GridExecutor.__call__ = init_args, checked_call


def _wrap_memory_ops(builder_cls, TensorHandle, int1) -> None:
    load, store = builder_cls.create_masked_load, builder_cls.create_masked_store
    rmw, cas = builder_cls.create_atomic_rmw, builder_cls.create_atomic_cas

    def masked_load(self, ptrs, mask, other, cache_policy, is_volatile):
        return load(self, ptrs, TensorHandle(_checked_mask(ptrs, mask, "read"), int1), other, cache_policy,
                    is_volatile)

    def masked_store(self, ptrs, value, mask, cache_policy):
        return store(self, ptrs, value, TensorHandle(_checked_mask(ptrs, mask, "wrote"), int1), cache_policy)

    def atomic_rmw(self, op, ptr, val, mask, sem, scope):
        return rmw(self, op, ptr, val, TensorHandle(_checked_mask(ptr, mask, "updated"), int1), sem, scope)

    def atomic_cas(self, ptr, cmp, val, sem, scope):
        if not _checked_mask(ptr, None, "updated").all():
            raise OutOfBounds(_message())  # atomic_cas has no mask to switch lanes off with
        return cas(self, ptr, cmp, val, sem, scope)

    builder_cls.create_masked_load, builder_cls.create_masked_store = masked_load, masked_store
    builder_cls.create_atomic_rmw, builder_cls.create_atomic_cas = atomic_rmw, atomic_cas


def _first_config_only(Autotuner) -> None:
    prune = Autotuner.prune_configs
    Autotuner.prune_configs = lambda self, kwargs: prune(self, kwargs)[:1]


def installed() -> bool:
    return _installed


def install() -> None:
    """Patch the interpreter (idempotent); call only where TRITON_INTERPRET=1 is in effect."""
    global _installed
    if _installed:
        return
    import triton.language as tl
    from triton.runtime import autotuner, interpreter

    _wrap_executor(interpreter.GridExecutor)
    _wrap_memory_ops(interpreter.InterpreterBuilder, interpreter.TensorHandle, tl.int1)
    _first_config_only(autotuner.Autotuner)
    _installed = True


@contextlib.contextmanager
def tracing_stores():
    """Collect the addresses stored to by every launch in the block: ``with tracing_stores() as stored:``."""
    global _stored
    _stored = []
    found: list[np.ndarray] = []
    try:
        yield found
    finally:
        found.extend(_stored)
        _stored = None
