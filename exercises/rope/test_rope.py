"""Hidden suite for rope: rotary embedding against a float64 reference written here (explicit pair rotations)."""

import math

import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)
ROPE_MISTAKES = ["layout_swapped", "interleaved_written_back_half_split", "offset_ignored", "frequency_exponent",
                 "rotation_sign", "angles_in_input_dtype", "rotation_in_half"]
ATTENTION_MISTAKES = ROPE_MISTAKES + ["rotate_v", "causal_local_positions", "softmax_without_max"]


def ref_angles(seq_len, d, base=10000.0, offset=0, mistake=None):
    i = torch.arange(d // 2, dtype=F64)
    exponent = i / d if mistake == "frequency_exponent" else 2 * i / d
    positions = torch.arange(seq_len, dtype=F64) + (0 if mistake == "offset_ignored" else offset)
    return positions[:, None] * base ** (-exponent)


def pairs(d, interleaved):
    """Component indices (first, second) of every rotated pair."""
    i = torch.arange(d // 2)
    return (2 * i, 2 * i + 1) if interleaved else (i, i + d // 2)


def ref_rope(x, offset=0, base=10000.0, interleaved=False, mistake=None):
    angles = ref_angles(x.shape[-2], x.shape[-1], base, offset, mistake)
    if mistake == "angles_in_input_dtype":
        angles = angles.to(x.dtype)
    if mistake == "rotation_sign":
        angles = -angles
    read = interleaved != (mistake == "layout_swapped")
    write = read and mistake != "interleaved_written_back_half_split"
    cos, sin = angles.cos().double(), angles.sin().double()
    xw = x.double()
    if mistake == "rotation_in_half":
        xw, cos, sin = x, cos.to(x.dtype), sin.to(x.dtype)
    a, b = pairs(x.shape[-1], read)
    x1, x2 = xw[..., a], xw[..., b]
    y1, y2 = (x1 * cos - x2 * sin).double(), (x2 * cos + x1 * sin).double()
    out = torch.zeros(x.shape, dtype=F64)
    wa, wb = pairs(x.shape[-1], write)
    out[..., wa] = y1
    out[..., wb] = y2
    return out


def ref_attention(q, k, v, q_offset=0, base=10000.0, interleaved=False, causal=False, mistake=None):
    qr = ref_rope(q, q_offset, base, interleaved, mistake)
    kr = ref_rope(k, 0, base, interleaved, mistake)
    vr = ref_rope(v, 0, base, interleaved) if mistake == "rotate_v" else v.double()
    scores = qr @ kr.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        lq, lk = scores.shape[-2:]
        q_pos = torch.arange(lq) + (0 if mistake == "causal_local_positions" else q_offset)
        scores = scores.masked_fill(torch.arange(lk)[None, :] > q_pos[:, None], -math.inf)
    if mistake == "softmax_without_max":
        weights = scores.exp() / scores.exp().sum(-1, keepdim=True)
    else:
        weights = torch.softmax(scores, -1)
    return weights @ vr


def rope_mistakes(x, names=ROPE_MISTAKES, **kw):
    return {LABELS[m]: (lambda m=m: ref_rope(x, mistake=m, **kw)) for m in names}


def attention_mistakes(q, k, v, **kw):
    return {LABELS[m]: (lambda m=m: ref_attention(q, k, v, mistake=m, **kw)) for m in ATTENTION_MISTAKES}


def rand(seed, *shape, dtype=F64, scale=1.0):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)).to(dtype)


# --- the angle table ------------------------------------------------------------------------------

@pytest.mark.parametrize("seq_len,d,base,offset", [(5, 8, 10000.0, 0), (3, 16, 500000.0, 40), (1, 2, 100.0, 7),
                                                   (4, 12, 10000.0, 3000)])
def test_angle_table(solution, seq_len, d, base, offset):
    got = solution.rope_angles(seq_len, d, base=base, offset=offset)
    assert_close(got, ref_angles(seq_len, d, base, offset), rtol=1e-12, atol=1e-12,
                 name=f"rope_angles({seq_len}, {d}, base={base:g}, offset={offset})",
                 mistakes={LABELS["frequency_exponent"]: ref_angles(seq_len, d, base, offset, "frequency_exponent")})


def test_angle_table_defaults(solution):
    assert_close(solution.rope_angles(6, 8), ref_angles(6, 8), rtol=1e-12, atol=1e-12,
                 name="rope_angles(6, 8) with the default base 10000 and offset 0",
                 mistakes={LABELS["frequency_exponent"]: ref_angles(6, 8, mistake="frequency_exponent")})


def test_odd_head_dim_is_rejected(solution):
    expect_value_error(lambda: solution.rope_angles(4, 7), "rope_angles(4, 7) (odd head_dim)")
    expect_value_error(lambda: solution.apply_rope(rand(0, 2, 3, 5)), "apply_rope on head_dim = 5")


# --- apply_rope -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,offset,base,interleaved", [
    ((2, 3, 5, 8), 0, 10000.0, False),
    ((2, 3, 5, 8), 7, 10000.0, True),
    ((4, 16), 100, 500000.0, False),
    ((1, 1, 1, 2), 3, 10000.0, True),
    ((3, 2, 6, 12), 0, 10000.0, True),
    ((2, 9, 6), 2, 100.0, False),
])
def test_apply_rope_matches_reference(solution, shape, offset, base, interleaved):
    x = rand(sum(shape) + offset, *shape)
    kw = dict(offset=offset, base=base, interleaved=interleaved)
    assert_close(solution.apply_rope(x, **kw), ref_rope(x, **kw), rtol=1e-10, atol=1e-12,
                 name=f"apply_rope on {shape} (offset={offset}, base={base:g}, interleaved={interleaved})",
                 mistakes=rope_mistakes(x, **kw))


def test_apply_rope_defaults(solution):
    x = rand(1, 2, 2, 4, 8)
    assert_close(solution.apply_rope(x), ref_rope(x), rtol=1e-10, atol=1e-12,
                 name="apply_rope(x) with the defaults (offset 0, base 10000, half-split pairs)",
                 mistakes=rope_mistakes(x))


@pytest.mark.parametrize("interleaved,partner", [(False, 5), (True, 0)])
def test_which_components_form_a_pair(solution, interleaved, partner):
    # A unit vector on component 1 at position 1: the rotation moves it only within its own pair.
    x = torch.zeros(1, 8, dtype=F64)
    x[0, 1] = 1.0
    out = solution.apply_rope(x, offset=1, interleaved=interleaved)
    moved = sorted(int(i) for i in torch.nonzero(out[0].abs() > 1e-12).flatten())
    want = sorted([1, partner])
    layout = "adjacent (x[2i], x[2i+1])" if interleaved else "half-split (x[i], x[i + d/2])"
    assert moved == want, (f"interleaved={interleaved}: component 1 of a unit vector spread to components {moved}, "
                           f"expected {want}: pairs are {layout}")


@pytest.mark.parametrize("interleaved", [False, True])
def test_offset_continues_a_longer_sequence(solution, interleaved):
    x = rand(2, 1, 2, 10, 8)
    tail = solution.apply_rope(x[..., 6:, :], offset=6, interleaved=interleaved)
    full = ref_rope(x, interleaved=interleaved)
    assert_close(tail, full[..., 6:, :], rtol=1e-10, atol=1e-12,
                 name=f"apply_rope(x[..., 6:, :], offset=6) vs rows 6.. of the whole sequence (interleaved={interleaved})",
                 mistakes=rope_mistakes(x[..., 6:, :], offset=6, interleaved=interleaved))


@pytest.mark.parametrize("interleaved", [False, True])
def test_scores_depend_only_on_relative_position(solution, interleaved):
    q, k = rand(3, 1, 16), rand(4, 1, 16)

    def score(m, n):
        qm = solution.apply_rope(q, offset=m, interleaved=interleaved)
        kn = solution.apply_rope(k, offset=n, interleaved=interleaved)
        return float((qm * kn).sum())

    for m, n in [(3, 1), (0, 5), (20, 20)]:
        shifted = [score(m + s, n + s) for s in (0, 7, 300)]
        assert max(shifted) - min(shifted) < 1e-9, (
            f"q·k at positions ({m}, {n}) shifted by 0, 7, 300 gave {shifted}: with RoPE the score depends only "
            f"on m − n (interleaved={interleaved})")
    assert abs(score(3, 1) - score(1, 3)) > 1e-6, "q·k is the same at offsets +2 and −2: are q and k rotated at all?"


@pytest.mark.parametrize("interleaved", [False, True])
def test_each_pair_keeps_its_length(solution, interleaved):
    x = rand(5, 3, 7, 10)
    out = solution.apply_rope(x, offset=11, interleaved=interleaved)
    a, b = pairs(10, interleaved)
    assert_close(out[..., a] ** 2 + out[..., b] ** 2, x[..., a] ** 2 + x[..., b] ** 2, rtol=1e-10, atol=1e-12,
                 name=f"squared length of each rotated pair (interleaved={interleaved}; a rotation keeps it)")


def test_strided_input_is_read_correctly_and_left_untouched(solution):
    # (B, L, H, D) transposed to (B, H, L, D), and every other component of a wider last axis: both non-contiguous.
    x1 = rand(6, 2, 5, 3, 8).transpose(1, 2)
    x2 = rand(7, 2, 4, 12)[..., ::2]
    for x, what in [(x1, "a transposed (B, L, H, D) tensor"), (x2, "a last axis with stride 2")]:
        before = x.clone()
        out = solution.apply_rope(x, offset=2)
        assert torch.equal(x, before), f"apply_rope modified its input ({what}); it must return a new tensor"
        assert_close(out, ref_rope(before, offset=2), rtol=1e-10, atol=1e-12, name=f"apply_rope on {what}",
                     mistakes=rope_mistakes(before, offset=2))


@pytest.mark.parametrize("interleaved", [False, True])
def test_float16_is_rotated_in_float32_and_rounded_once(solution, interleaved):
    # Positions 3000..3007: an angle table kept in float16 is off by whole radians there.
    x = rand(8, 2, 2, 8, 64, dtype=torch.float16, scale=2.0)
    out = solution.apply_rope(x, offset=3000, interleaved=interleaved)
    assert out.dtype == torch.float16, f"float16 input gave a {out.dtype} result; return the input dtype"
    kw = dict(offset=3000, interleaved=interleaved)
    # within one float16 ulp of the float64 result (the error of one final rounding, plus float32 noise)
    assert_close(out, ref_rope(x, **kw), rtol=2 ** -10, atol=1e-6,
                 name=f"apply_rope in float16 at positions 3000.. (interleaved={interleaved}; within 1 ulp)",
                 mistakes=rope_mistakes(x, **kw))


def test_float32_keeps_its_dtype(solution):
    x = rand(9, 2, 3, 6, 16, dtype=torch.float32)
    out = solution.apply_rope(x, offset=50)
    assert out.dtype == torch.float32, f"float32 input gave a {out.dtype} result; return the input dtype"
    assert_close(out, ref_rope(x, offset=50), rtol=1e-5, atol=1e-6, name="apply_rope in float32",
                 mistakes=rope_mistakes(x, offset=50))


@pytest.mark.parametrize("interleaved", [False, True])
def test_apply_rope_gradient(solution, interleaved):
    x, w = rand(10, 2, 2, 5, 8), rand(11, 2, 2, 5, 8)
    got, ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    (solution.apply_rope(got, offset=4, interleaved=interleaved) * w).sum().backward()
    (ref_rope(ref, offset=4, interleaved=interleaved) * w).sum().backward()
    assert got.grad is not None, "no gradient reached x: keep the computation differentiable"
    assert_close(got.grad, ref.grad, rtol=1e-10, atol=1e-12,
                 name=f"d loss / d x through apply_rope (interleaved={interleaved}; the inverse rotation)")


# --- rope_attention -------------------------------------------------------------------------------

@pytest.mark.parametrize("B,H,lq,lk,d,q_offset,causal,interleaved", [
    (2, 2, 5, 5, 8, 0, True, False),
    (1, 3, 2, 7, 4, 5, True, True),
    (2, 1, 1, 6, 16, 5, True, False),
    (1, 2, 4, 4, 6, 0, False, True),
    (2, 2, 3, 9, 8, 2, False, False),
])
def test_attention_matches_reference(solution, B, H, lq, lk, d, q_offset, causal, interleaved):
    q, k, v = rand(20 + lq, B, H, lq, d), rand(21 + lk, B, H, lk, d), rand(22, B, H, lk, d)
    kw = dict(q_offset=q_offset, interleaved=interleaved, causal=causal)
    assert_close(solution.rope_attention(q, k, v, **kw), ref_attention(q, k, v, **kw), rtol=1e-9, atol=1e-11,
                 name=f"rope_attention (Lq={lq}, Lk={lk}, d={d}, q_offset={q_offset}, causal={causal}, "
                      f"interleaved={interleaved})",
                 mistakes=attention_mistakes(q, k, v, **kw))


def test_attention_defaults(solution):
    q, k, v = rand(30, 1, 2, 4, 8), rand(31, 1, 2, 6, 8), rand(32, 1, 2, 6, 8)
    assert_close(solution.rope_attention(q, k, v), ref_attention(q, k, v), rtol=1e-9, atol=1e-11,
                 name="rope_attention(q, k, v) with the defaults (q_offset 0, base 10000, half-split, not causal)",
                 mistakes=attention_mistakes(q, k, v))


def test_values_are_not_rotated(solution):
    # Every key carries the same value vector, so every output row must equal it, whatever the weights.
    q, k = rand(33, 1, 1, 3, 8), rand(34, 1, 1, 5, 8)
    v = rand(35, 8).expand(1, 1, 5, 8).clone()
    out = solution.rope_attention(q, k, v, q_offset=2)
    assert_close(out, v[..., :3, :], rtol=1e-9, atol=1e-11,
                 name="output when all five value rows are equal (must be that row)",
                 mistakes={LABELS["rotate_v"]: ref_attention(q, k, v, q_offset=2, mistake="rotate_v")})


def test_decoding_one_token_at_a_time_equals_full_causal_attention(solution):
    q, k, v = rand(36, 1, 2, 6, 8), rand(37, 1, 2, 6, 8), rand(38, 1, 2, 6, 8)
    full = ref_attention(q, k, v, causal=True)
    for t in range(6):
        step = solution.rope_attention(q[..., t:t + 1, :], k[..., :t + 1, :], v[..., :t + 1, :], q_offset=t,
                                       causal=True)
        kw = dict(q_offset=t, causal=True)
        assert_close(step, full[..., t:t + 1, :], rtol=1e-9, atol=1e-11,
                     name=f"decoding step {t} (query at position {t}, keys 0..{t}) vs row {t} of full causal attention",
                     mistakes=attention_mistakes(q[..., t:t + 1, :], k[..., :t + 1, :], v[..., :t + 1, :], **kw))


def test_attention_with_large_scores_stays_finite(solution):
    q, k, v = rand(39, 1, 2, 4, 8, scale=40.0), rand(40, 1, 2, 4, 8, scale=40.0), rand(41, 1, 2, 4, 8)
    out = solution.rope_attention(q, k, v, causal=True)
    assert torch.isfinite(out).all(), ("rope_attention returned inf/NaN for scores in the thousands: subtract each "
                                       "row's maximum before exp (torch.softmax does)")
    assert_close(out, ref_attention(q, k, v, causal=True), rtol=1e-9, atol=1e-11,
                 name="rope_attention with scores in the thousands", mistakes=attention_mistakes(q, k, v, causal=True))


def test_attention_gradients(solution):
    base = [rand(42, 1, 2, 3, 8), rand(43, 1, 2, 5, 8), rand(44, 1, 2, 5, 8)]
    w = rand(45, 1, 2, 3, 8)
    got = [t.clone().requires_grad_() for t in base]
    ref = [t.clone().requires_grad_() for t in base]
    (solution.rope_attention(*got, q_offset=2, causal=True) * w).sum().backward()
    (ref_attention(*ref, q_offset=2, causal=True) * w).sum().backward()
    for name, a, e in zip("qkv", got, ref):
        assert a.grad is not None, f"no gradient reached {name}"
        assert_close(a.grad, e.grad, rtol=1e-8, atol=1e-10, name=f"d loss / d {name} through rope_attention")


def test_variant_task(solution, variant):
    # A review may ask one layout or a decoding set-up; the core run: half-split, queries 3.. over 7 keys, causal.
    kw = dict(interleaved=variant.get("interleaved", False), q_offset=variant.get("q_offset", 3),
              causal=variant.get("causal", True))
    q, k, v = rand(46, 2, 2, 7 - kw["q_offset"], 8), rand(47, 2, 2, 7, 8), rand(48, 2, 2, 7, 8)
    assert_close(solution.rope_attention(q, k, v, **kw), ref_attention(q, k, v, **kw), rtol=1e-9, atol=1e-11,
                 name=f"rope_attention ({kw})", mistakes=attention_mistakes(q, k, v, **kw))
