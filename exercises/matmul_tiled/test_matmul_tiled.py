"""Hidden suite for matmul_tiled: tiled matmul kernel (Triton interpreter on CPU, full sizes on a GPU)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     guarded, padded, require_memory_safe, sizes, speed_note)

import math

import pytest
import torch

from quizcli.testing import assert_close, is_close

# (M, K, N), none a multiple of a power-of-two block
SHAPES = sizes([(1, 1, 1), (17, 33, 9), (50, 70, 45), (64, 300, 100), (33, 5, 77)],
               [(1, 1, 1), (17, 33, 9), (50, 70, 45), (257, 1000, 129), (1000, 999, 1001), (2049, 511, 1536)])


def tol(k):
    """(rtol, atol) for float32 inputs: exact-ish in the interpreter; on a GPU tl.dot uses tf32 by default."""
    return (1e-4, 1e-4) if INTERPRETER else (1e-2, 2e-3 * math.sqrt(k))


def make(m, k, n, seed, dtype=torch.float32, low=None):
    g = torch.Generator().manual_seed(seed)
    if low is None:
        a = torch.randn(m, k, generator=g, dtype=torch.float64)
        b = torch.randn(k, n, generator=g, dtype=torch.float64)
    else:
        a = torch.rand(m, k, generator=g, dtype=torch.float64)
        b = torch.rand(k, n, generator=g, dtype=torch.float64)
    return a.to(dtype).to(DEVICE), b.to(dtype).to(DEVICE)


def reference(a, b):
    return a.double() @ b.double()


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("mkn", [(17, 33, 9), (50, 70, 45), (3, 100, 65)], ids=lambda s: "x".join(map(str, s)))
def test_edge_tiles_masked(solution, mkn):
    """A, B inside NaN-padded buffers (rows further apart than K / N), C inside a sentinel-filled buffer."""
    m, k, n = mkn
    a, b = make(m, k, n, seed=sum(mkn))
    ap, bp = padded(a, row_pad=7, pad=4096), padded(b, row_pad=9, pad=4096)
    guard = guarded((m, n), torch.float32, row_pad=5, pad=4096)
    result = solution.matmul(ap, bp, out=guard.tensor)
    guard.check("C")
    rtol, atol = tol(k)
    assert_close(guard.tensor, reference(a, b), rtol=rtol, atol=atol, name=f"A @ B, {mkn} (strided operands)")
    assert result is None or result.data_ptr() == guard.tensor.data_ptr(), \
        "when out= is given, write into it and return it"


def test_every_tile_is_computed(solution):
    require_memory_safe()
    m, k, n = 70, 20, 90
    a, b = make(m, k, n, seed=8)
    guard = guarded((m, n), torch.float32, pad=4096)
    solution.matmul(a, b, out=guard.tensor)
    written = (guard.tensor != guard.fill).cpu()
    untouched = int((~written).sum())
    if untouched:
        raise AssertionError(f"{untouched} of {m * n} elements of C were never written" + _unwritten_hint(written))


def _unwritten_hint(written) -> str:
    """The grid hint only when C is written exactly on a top-left block of whole tiles (the edge tiles missing)."""
    rows, cols = int(written.any(dim=1).sum()), int(written.any(dim=0).sum())
    if not written.any():
        return ": nothing was written into out; write C into the out= tensor you are given"
    aligned = all(size % 16 == 0 or size == full for size, full in ((rows, written.shape[0]), (cols, written.shape[1])))
    if aligned and written[:rows, :cols].all() and int(written.sum()) == rows * cols:
        return (f" (only the top-left {rows} x {cols} tiles are): the grid needs triton.cdiv(M, BLOCK_M) x "
                "triton.cdiv(N, BLOCK_N) programs")
    return ""


@pytest.mark.parametrize("mkn", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_float64_reference(solution, mkn, record_property):
    require_memory_safe()
    m, k, n = mkn
    a, b = make(m, k, n, seed=m * 7 + k * 3 + n)
    out = solution.matmul(a, b)
    assert out is not None, "matmul returned None: return C"
    rtol, atol = tol(k)
    assert_close(out, reference(a, b), rtol=rtol, atol=atol, name=f"A @ B, (M, K, N) = {mkn}", dtype="float32")
    if mkn == SHAPES[-1]:
        record_property("note", speed_note(lambda: solution.matmul(a, b), lambda: a @ b, tf32=True))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_k_loop_walks_the_whole_reduction(solution):
    """K = 300 spans several BLOCK_K steps and ends in a partial one."""
    require_memory_safe()
    a, b = make(20, 300, 24, seed=12)
    out = solution.matmul(a, b)
    rtol, atol = tol(300)
    assert_close(out, reference(a, b), rtol=rtol, atol=atol, name="A @ B with K = 300")


def test_transposed_b_uses_strides(solution):
    """b = bt.T is a view with stride (1, K): address B with stride_bk / stride_bn, never assume contiguity."""
    require_memory_safe()
    a, _ = make(30, 50, 40, seed=13)
    bt = make(40, 50, 1, seed=14)[0]
    b = bt.T
    assert not b.is_contiguous()
    out = solution.matmul(a, b)
    rtol, atol = tol(50)
    assert_close(out, reference(a, b), rtol=rtol, atol=atol,
                 name="A @ B with B = bt.T (non-contiguous: pass b.stride(0), b.stride(1) and use them)")


def test_transposed_a_and_out_use_strides(solution):
    """a = at.T (stride (1, M)) and out a column-major C (stride (1, M)): every operand is addressed with both
    of its strides (stride_ak and stride_cn are 1 only for row-major tensors)."""
    require_memory_safe()
    a = make(50, 30, 1, seed=18)[0].T  # (M, K) = (30, 50)
    b = make(1, 50, 40, seed=19)[1]
    out = torch.empty(40, 30, device=DEVICE).T
    assert not a.is_contiguous() and not out.is_contiguous()
    result = solution.matmul(a, b, out=out)
    rtol, atol = tol(50)
    assert_close(out, reference(a, b), rtol=rtol, atol=atol,
                 name="A @ B with A = at.T and a column-major out (pass and use a.stride(1) and out.stride(1))")
    assert result is None or result.data_ptr() == out.data_ptr(), "when out= is given, write into it and return it"


def test_float16_accumulates_in_float32(solution):
    """Positive float16 inputs, K = 1500: C ≈ 375, where float16 steps are 0.25 — an fp16 accumulator drifts."""
    require_memory_safe()
    a, b = make(40, 1500, 40, seed=15, dtype=torch.float16, low=0.0)
    out = solution.matmul(a, b)
    assert out.dtype == torch.float16, f"dtype {out.dtype}, expected float16 (the inputs' dtype)"
    try:
        assert_close(out, reference(a, b), rtol=1.5e-3, atol=0, name="A @ B in float16 (K = 1500)")
    except AssertionError as exc:
        if not _only_float16_drifts(solution, a, b, out):
            raise
        raise AssertionError(f"{exc}\n  the same product in float32 comes out right and the float16 error is a "
                             "drift of a few float16 steps: that is a float16 accumulator; keep acc = "
                             "tl.zeros(..., dtype=tl.float32) and cast to float16 only when storing") from None


def _only_float16_drifts(solution, a, b, out) -> bool:
    """True when the float32 run of the same product is right and the float16 error is small (not garbage)."""
    a32, b32 = a.float(), b.float()
    rtol, atol = tol(a.shape[1])
    if not is_close(solution.matmul(a32, b32), reference(a32, b32), rtol=rtol, atol=atol):
        return False
    return bool(((out.double() - reference(a, b)).abs() <= 0.05 * reference(a, b).abs()).all())


@pytest.mark.parametrize("mkn", [(40, 30, 50), (1, 20, 17), (3, 5, 9)], ids=lambda s: "x".join(map(str, s)))
def test_every_output_element_comes_from_the_kernel(solution, mkn):
    """With the launches skipped C must stay untouched: no `@`, torch.matmul, tensordot or F.linear behind it, and
    no special case for small matrices (a single row, a few rows) either."""
    require_memory_safe()
    m, k, n = mkn
    a, b = make(m, k, n, seed=16)
    out = torch.zeros(m, n, device=DEVICE)
    assert_kernel_did_the_work(solution, lambda: solution.matmul(a, b, out=out), inputs=(a, b), names=["C (out=)"])
    b_t = b.T.contiguous().T  # a column-major copy: strides (1, K)
    assert_kernel_did_the_work(solution, lambda: solution.matmul(a, b_t), inputs=(a, b_t), names=["matmul(a, b)"])


def test_kernel_is_launched(solution):
    require_memory_safe()
    a, b = make(20, 20, 20, seed=2)
    assert_kernel_launched(solution.matmul_kernel, lambda: solution.matmul(a, b))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_fp16_4096(solution, record_property):
    require_memory_safe()
    a, b = make(4096, 4096, 4096, seed=21, dtype=torch.float16)
    out = solution.matmul(a, b)
    assert_close(out, (a.float() @ b.float()), rtol=1e-2, atol=0.5, name="A @ B (4096³, float16)")
    record_property("note", speed_note(lambda: solution.matmul(a, b), lambda: a @ b))
