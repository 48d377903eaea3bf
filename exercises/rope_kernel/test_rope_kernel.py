"""Hidden suite for rope_kernel: rotary position embedding kernel vs a float64 reference (rotate-half)."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     assert_within_ulps, guarded, padded, require_memory_safe,
                                     sizes, speed_note)

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)

# (B, L, H, D): odd lengths, head counts that are not powers of two, one half-dim (12) that is not either
SHAPES = sizes([(1, 1, 1, 16), (2, 7, 3, 16), (1, 33, 5, 24), (2, 20, 12, 64)],
               [(1, 1, 1, 16), (2, 7, 3, 16), (1, 33, 5, 24), (4, 1000, 12, 64), (2, 2049, 32, 128)])


def tables(max_pos, d, base=10000.0, row_pad=0):
    """(cos, sin) of shape (max_pos, d/2), float32, inside NaN-padded buffers (stray reads show up as NaN);
    with ``row_pad`` the rows of the tables are further apart than d/2 (stride(0) = d/2 + row_pad)."""
    inv_freq = base ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2 / d)
    angles = torch.arange(max_pos, dtype=torch.float64)[:, None] * inv_freq[None, :]
    cos, sin = torch.cos(angles).float().to(DEVICE), torch.sin(angles).float().to(DEVICE)
    return padded(cos, pad=4096, row_pad=row_pad), padded(sin, pad=4096, row_pad=row_pad)


def make(shape, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(dtype).to(DEVICE)


def reference(x, cos, sin, offset=0, style="half", sign=1.0):
    """float64 RoPE; style "half" (x[i], x[i+d/2]) or "interleaved" (x[2i], x[2i+1]); sign=-1 rotates backwards."""
    x = x.double()
    L, half = x.shape[1], x.shape[3] // 2
    c = cos.double()[offset:offset + L][None, :, None, :]
    s = sin.double()[offset:offset + L][None, :, None, :] * sign
    if style == "half":
        x1, x2 = x[..., :half], x[..., half:]
        return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1).flatten(-2)


def mistakes(x, cos, sin, offset=0):
    return {LABELS["interleaved_pairs"]: reference(x, cos, sin, offset, "interleaved"),
            LABELS["rotation_sign_flipped"]: reference(x, cos, sin, offset, sign=-1.0),
            LABELS["pos_offset_ignored"]: reference(x, cos, sin, 0) if offset else None}


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("shape, offset", [((2, 7, 3, 16), 0), ((1, 9, 5, 24), 7), ((2, 4, 12, 32), 0)],
                         ids=["2x7x3x16", "1x9x5x24_offset_7", "2x4x12x32"])
def test_head_tail_masked_and_strides_used(solution, shape, offset):
    """x inside a NaN-padded buffer with gaps between heads, positions and batches; out inside a sentinel buffer
    (with out= given, pos_offset still applies)."""
    x = make(shape, seed=sum(shape))
    cos, sin = tables(64, shape[3])
    xp = padded(x, extra=(0, 1, 2, 4), pad=4096)
    guard = guarded(shape, torch.float32, extra=(0, 2, 1, 6), pad=4096)
    result = solution.apply_rope(xp, cos, sin, pos_offset=offset, out=guard.tensor)
    guard.check("out")
    assert_close(guard.tensor, reference(x, cos, sin, offset), rtol=1e-5, atol=1e-6,
                 name=f"rope {shape}, pos_offset={offset} (strided x and out)",
                 mistakes=mistakes(x, cos, sin, offset))
    assert result is None or result.data_ptr() == guard.tensor.data_ptr(), \
        "when out= is given, write into it and return it"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matches_float64_reference(solution, shape, record_property):
    require_memory_safe()
    x = make(shape, seed=shape[1] * 5 + shape[2])
    cos, sin = tables(shape[1] + 8, shape[3])
    out = solution.apply_rope(x, cos, sin)
    assert out is not None, "apply_rope returned None: return the output"
    assert_close(out, reference(x, cos, sin), rtol=1e-5, atol=1e-6, name=f"rope {shape}", dtype="float32",
                 mistakes=mistakes(x, cos, sin))
    if shape == SHAPES[-1]:
        half = shape[3] // 2
        c = cos[:shape[1]][None, :, None, :]
        s = sin[:shape[1]][None, :, None, :]

        def torch_version():
            x1, x2 = x[..., :half], x[..., half:]
            return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)
        record_property("note", speed_note(lambda: solution.apply_rope(x, cos, sin), torch_version))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_rotate_half_convention(solution):
    """x = e_0 (only the first component set): rotate-half moves its sine part to component d/2, not 1."""
    require_memory_safe()
    x = torch.zeros(1, 5, 1, 16, device=DEVICE)
    x[..., 0] = 1.0
    cos, sin = tables(5, 16)
    out = solution.apply_rope(x, cos, sin)
    assert_close(out, reference(x, cos, sin), rtol=1e-5, atol=1e-6, name="rope of e_0",
                 mistakes=mistakes(x, cos, sin))


def test_position_offset_after_kv_cache(solution):
    """Decoding 6 new tokens after 40 cached ones: they sit at positions 40 … 45."""
    require_memory_safe()
    x = make((2, 6, 3, 16), seed=3)
    cos, sin = tables(64, 16)
    out = solution.apply_rope(x, cos, sin, pos_offset=40)
    assert_close(out, reference(x, cos, sin, 40), rtol=1e-5, atol=1e-6, name="rope with pos_offset=40",
                 mistakes=mistakes(x, cos, sin, 40))


def test_every_batch_uses_positions_from_zero(solution):
    """Batch 1 repeats batch 0: position l must use angle l in every batch element."""
    require_memory_safe()
    x0 = make((1, 9, 2, 16), seed=4)
    x = torch.cat([x0, x0, x0], dim=0)
    cos, sin = tables(32, 16)
    out = solution.apply_rope(x, cos, sin)
    for b in (1, 2):
        assert_close(out[b], out[0], rtol=0, atol=0,
                     name=f"rope of batch {b} vs batch 0 (same input: the position is l, not b * L + l)")
    assert_close(out, reference(x, cos, sin), rtol=1e-5, atol=1e-6, name="rope of repeated batches")


def test_rotation_preserves_pair_norms(solution):
    require_memory_safe()
    x = make((1, 11, 4, 32), seed=5)
    cos, sin = tables(16, 32)
    out = solution.apply_rope(x, cos, sin).double()
    norms = lambda t: t[..., :16] ** 2 + t[..., 16:] ** 2  # noqa: E731
    assert_close(norms(out), norms(x.double()), rtol=1e-5, atol=1e-6,
                 name="|(out[i], out[i + d/2])|² vs |(x[i], x[i + d/2])|² (a rotation keeps each pair's length)")


def test_strided_cos_sin_tables(solution):
    """cos/sin rows further apart than d/2 (slices of wider tables), exactly L + pos_offset of them, built with
    base 500000 (LLaMA 3) instead of 10000: address their rows with stride_cl, mask the padding lanes of the last
    row too, and read the angles from the tables rather than recomputing them."""
    require_memory_safe()
    x = make((2, 9, 3, 24), seed=8)
    cos, sin = tables(12, 24, base=500000.0, row_pad=5)
    assert cos.stride(0) == 17
    out = solution.apply_rope(x, cos, sin, pos_offset=3)
    assert_close(out, reference(x, cos, sin, 3), rtol=1e-5, atol=1e-6,
                 name="rope with cos/sin rows 17 apart (pass cos.stride(0) as stride_cl and use it)",
                 mistakes={**mistakes(x, cos, sin, 3), LABELS["angles_recomputed"]: reference(x, *tables(12, 24), 3)})


def test_head_dim_strides_used(solution):
    """x and out whose last dimension is strided (every other element of a wider tensor): address components with
    stride_xd / stride_od; the elements of out's buffer between them must stay untouched."""
    require_memory_safe()
    x = make((2, 5, 3, 32), seed=10)[..., ::2]
    buffer = torch.full((2, 5, 3, 32), -12345.0, device=DEVICE)
    out = buffer[..., 1::2]
    assert x.stride(3) == 2 and out.stride(3) == 2
    cos, sin = tables(8, 16)
    solution.apply_rope(x, cos, sin, out=out)
    touched = int((buffer[..., 0::2] != -12345.0).sum())
    assert touched == 0, (f"{touched} elements between the components of out were written: address the head "
                          "dimension with stride_od = out.stride(3)")
    assert_close(out, reference(x, cos, sin), rtol=1e-5, atol=1e-6,
                 name="rope with a strided head dimension (stride_xd = stride_od = 2)", mistakes=mistakes(x, cos, sin))


def test_every_output_element_comes_from_the_kernel(solution):
    require_memory_safe()
    x = make((2, 5, 3, 16), seed=9)
    cos, sin = tables(8, 16)
    out = torch.zeros_like(x)
    assert_kernel_did_the_work(solution, lambda: solution.apply_rope(x, cos, sin, out=out), inputs=(x, cos, sin),
                               names=["out"])
    assert_kernel_did_the_work(solution, lambda: solution.apply_rope(x, cos, sin), inputs=(x, cos, sin),
                               names=["apply_rope(x, cos, sin)"])
    token = make((1, 1, 3, 16), seed=19)  # one decoded token: no special case for it either
    assert_kernel_did_the_work(solution, lambda: solution.apply_rope(token, cos, sin, pos_offset=5),
                               inputs=(token, cos, sin), names=["apply_rope of a single token"])


def test_float16_input(solution):
    """float16 in and out, float32 tables: within 1 ulp of the exact rotation (float32 inside, one rounding)."""
    require_memory_safe()
    x = make((2, 13, 3, 32), seed=6, dtype=torch.float16)
    cos, sin = tables(16, 32)
    out = solution.apply_rope(x, cos, sin)
    assert out.dtype == torch.float16, f"dtype {out.dtype}, expected float16 (the input's dtype)"
    assert_within_ulps(out, reference(x, cos, sin), name="rope (float16)")


def test_kernel_is_launched(solution):
    require_memory_safe()
    x = make((1, 4, 2, 16), seed=2)
    cos, sin = tables(8, 16)
    assert_kernel_launched(solution.rope_kernel, lambda: solution.apply_rope(x, cos, sin))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_llm_shapes(solution, record_property):
    require_memory_safe()
    x = make((8, 4096, 32, 128), seed=21, dtype=torch.float16)
    cos, sin = tables(4096, 128)
    out = solution.apply_rope(x, cos, sin)
    assert_close(out, reference(x, cos, sin), rtol=5e-3, atol=5e-3, name="rope (8 x 4096 x 32 x 128, float16)")
    c, s = cos[None, :, None, :].half(), sin[None, :, None, :].half()

    def torch_version():
        x1, x2 = x[..., :64], x[..., 64:]
        return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)
    record_property("note", speed_note(lambda: solution.apply_rope(x, cos, sin), torch_version))
