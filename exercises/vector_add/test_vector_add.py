"""Hidden suite for vector_add: a masked Triton kernel (Triton interpreter on CPU, full sizes on a GPU)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     guarded, padded, require_memory_safe, sizes, speed_note)

import pytest
import torch

from quizcli.testing import assert_close

# lengths that are not multiples of any power-of-two block: the last block is partial
ODD_SIZES = sizes([1, 7, 130, 1000, 4099], [1, 7, 1000, 4099, 98_433, 1_000_003])


def inputs(n, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=g, dtype=torch.float32).to(dtype)
    y = torch.randn(n, generator=g, dtype=torch.float32).to(dtype)
    return x.to(DEVICE), y.to(DEVICE)


def reference(x, y):
    return (x.double() + y.double())


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("n", [1, 5, 1000, 1025, 3000])
def test_tail_block_is_masked(solution, n):
    """Inputs padded with NaN (an unmasked load reads poison), output inside a sentinel-filled buffer."""
    x, y = inputs(n, seed=7 + n)
    xp, yp = padded(x, pad=4096), padded(y, pad=4096)
    guard = guarded((n,), torch.float32, pad=4096)
    out = solution.add(xp, yp, out=guard.tensor)
    guard.check("out")
    assert_close(guard.tensor, reference(x, y), rtol=1e-6, atol=1e-6, name=f"out (n={n})")
    assert out is None or out.data_ptr() == guard.tensor.data_ptr(), "when out= is given, write into it and return it"


def _unwritten_hint(untouched, n) -> str:
    if len(untouched) == n:
        return ": nothing was written into out; write the result into the out= tensor you are given"
    first = int(untouched[0])
    if len(untouched) != n - first:
        return ""
    if first % 16 == 0:  # a suffix starting at a block boundary: the grid stops short
        return ": the grid stops before the tail; launch triton.cdiv(n, BLOCK_SIZE) programs, not n // BLOCK_SIZE"
    return ": the blocks end before the tail; are the block offsets pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)?"


def test_grid_covers_the_tail(solution):
    """n = 1000: with any block size 64…1024 the last block is partial; it must be computed."""
    n = 1000
    x, y = inputs(n, seed=3)
    guard = guarded((n,), torch.float32, pad=4096)
    solution.add(x, y, out=guard.tensor)
    untouched = torch.nonzero(guard.tensor.cpu() == guard.fill).flatten()
    if len(untouched):
        first = int(untouched[0])
        raise AssertionError(f"{len(untouched)} of {n} output elements were never written, the first at index {first}"
                             + _unwritten_hint(untouched, n))
    assert_close(guard.tensor, reference(x, y), rtol=1e-6, atol=1e-6, name="add (n=1000)")


@pytest.mark.parametrize("n", ODD_SIZES)
def test_matches_torch_on_odd_lengths(solution, n, record_property):
    require_memory_safe()
    x, y = inputs(n, seed=n)
    out = solution.add(x, y)
    assert out is not None, "add returned None: return the output tensor"
    assert_close(out, reference(x, y), rtol=1e-6, atol=1e-6, name=f"add (n={n})", dtype="float32")
    assert out.device.type == x.device.type, f"output on {out.device}, expected the inputs' device {x.device}"
    if n == ODD_SIZES[-1]:
        record_property("note", speed_note(lambda: solution.add(x, y), lambda: x + y))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_kernel_is_launched(solution):
    require_memory_safe()
    x, y = inputs(1000, seed=1)
    assert_kernel_launched(solution.add_kernel, lambda: solution.add(x, y))


@pytest.mark.parametrize("n", [1, 5, 3000])
def test_every_output_element_comes_from_the_kernel(solution, n):
    """With the launch skipped the outputs must stay untouched: torch must not compute any part of them, at
    any length (a special case for short vectors is torch computing the result too)."""
    require_memory_safe()
    x, y = inputs(n, seed=17)
    out = torch.zeros_like(x)
    assert_kernel_did_the_work(solution, lambda: solution.add(x, y, out=out), inputs=(x, y), names=["out"])
    assert_kernel_did_the_work(solution, lambda: solution.add(x, y), inputs=(x, y), names=["add(x, y)"])


def test_float16_stays_float16(solution):
    require_memory_safe()
    x, y = inputs(777, seed=11, dtype=torch.float16)
    out = solution.add(x, y)
    assert_close(out, (x.float() + y.float()).half(), rtol=1e-3, atol=1e-3, name="add (float16)", dtype="float16")


def test_each_block_reads_its_own_elements(solution):
    """x = 0, 1, 2, …: a block that reads the wrong slice shows up as shifted values."""
    require_memory_safe()
    n = 2500
    x = torch.arange(n, dtype=torch.float32, device=DEVICE)
    y = torch.zeros(n, dtype=torch.float32, device=DEVICE)
    guard = guarded((n,), torch.float32, pad=4096)
    solution.add(x, y, out=guard.tensor)
    out = guard.tensor.cpu()
    wrong = torch.nonzero(out != x.cpu()).flatten()
    if len(wrong) == 0:
        return
    unwritten = wrong[out[wrong] == guard.fill]
    first = int(wrong[0])
    message = (f"{len(wrong)} of {n} elements are wrong; first at index {first}: got {float(out[first])}, "
               f"expected {float(x[first])}")
    if len(unwritten) == len(wrong):
        message += " (never written)" + _unwritten_hint(unwritten, n)
    else:
        message += " — are the block offsets pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)?"
    raise AssertionError(message)


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_large_vector(solution, record_property):
    require_memory_safe()
    x, y = inputs(1 << 24, seed=5)
    out = solution.add(x, y)
    assert_close(out, x + y, rtol=0, atol=0, name="add (16M elements)")
    record_property("note", speed_note(lambda: solution.add(x, y), lambda: x + y))


def test_variant_length_and_dtype(solution, variant):
    # A review may ask another length (one past a power of two) or float16; the core run: 777 float32 values.
    require_memory_safe()
    dtype = getattr(torch, variant.get("dtype", "float32"))
    n = variant.get("n", 777)
    x, y = inputs(n, seed=92, dtype=dtype)
    out = solution.add(x, y)
    assert out is not None, "add returned None: return the output tensor"
    tolerance = 1e-3 if dtype == torch.float16 else 1e-6
    assert_close(out, reference(x, y), rtol=tolerance, atol=tolerance, name=f"add (n={n}, {dtype})",
                 dtype=str(dtype).replace("torch.", ""))
