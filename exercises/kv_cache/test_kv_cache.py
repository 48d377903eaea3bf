"""Hidden suite for kv_cache: decoding through a KV cache against a per-position float64 reference written here."""

import math

import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)
VALUE_MISTAKES = ["mask_local_positions", "mask_only_without_cache", "positions_not_advanced", "rotate_after_cache",
                  "scale_by_d_model", "softmax_over_queries"]


def rand(seed, *shape, dtype=F64, scale=1.0):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)).to(dtype)


def ref_rope(x, positions, base):
    """Half-split RoPE, x: (B, H, L, d), positions: (L,) float64."""
    d = x.shape[-1]
    angles = positions[:, None] * base ** (-2 * torch.arange(d // 2, dtype=F64) / d)
    a, b = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([a * angles.cos() - b * angles.sin(), b * angles.cos() + a * angles.sin()], -1)


def heads(t, n_heads):
    B, L, dm = t.shape
    return t.reshape(B, L, n_heads, dm // n_heads).permute(0, 2, 1, 3)


def ref_chunk(ws, x, start, past, n_heads, base, cached, mistake=None):
    """One forward call on x (B, L, dm) at positions start..; past: (k, v) rotated and cached so far, or None."""
    x = x.double()
    B, L, dm = x.shape
    dh = dm // n_heads
    q, k, v = (heads(x @ ws[name].T, n_heads) for name in ("q_proj", "k_proj", "v_proj"))
    rope_start = 0 if mistake == "positions_not_advanced" else start
    pos = torch.arange(L, dtype=F64) + rope_start
    q = ref_rope(q, pos, base)
    if mistake != "rotate_after_cache":
        k = ref_rope(k, pos, base)
    if past is not None:
        k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
    stored = (k, v)
    if mistake == "rotate_after_cache":
        k = ref_rope(k, torch.arange(k.shape[2], dtype=F64) + start, base)
    scores = q @ k.transpose(-1, -2) / math.sqrt(dm if mistake == "scale_by_d_model" else dh)
    q_pos = torch.arange(L) + (0 if mistake == "mask_local_positions" else start)
    if not (mistake == "mask_only_without_cache" and cached):
        scores = scores.masked_fill(torch.arange(k.shape[2])[None, :] > q_pos[:, None], -math.inf)
    weights = torch.softmax(scores, -2 if mistake == "softmax_over_queries" else -1)
    out = (weights @ v).permute(0, 2, 1, 3).reshape(B, L, dm)
    return out @ ws["o_proj"].T, stored


def ref_decode(ws, x, splits, n_heads, base=10000.0, mistake=None):
    """Feed x (B, T, dm) through a cache in chunks of the given sizes; the outputs concatenated on the time axis."""
    outs, past, start = [], None, 0
    for size in splits:
        out, past = ref_chunk(ws, x[:, start:start + size], start, past, n_heads, base, True, mistake)
        outs.append(out)
        start += size
    return torch.cat(outs, 1)


def ref_full(ws, x, n_heads, base=10000.0, mistake=None):
    return ref_chunk(ws, x, 0, None, n_heads, base, False, mistake)[0]


def make(solution, d_model, n_heads, seed, dtype=F64, **kw):
    mod = solution.CachedSelfAttention(d_model, n_heads, **kw).to(dtype)
    g = torch.Generator().manual_seed(seed)
    ws = {}
    with torch.no_grad():
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            lin = getattr(mod, name, None)
            assert isinstance(lin, torch.nn.Linear), f"{name} must be an nn.Linear"
            assert tuple(lin.weight.shape) == (d_model, d_model), \
                f"{name}.weight has shape {tuple(lin.weight.shape)}, expected {(d_model, d_model)}"
            assert lin.bias is None, f"{name} must have no bias (bias=False)"
            ws[name] = torch.randn(d_model, d_model, generator=g, dtype=F64) / math.sqrt(d_model)
            lin.weight.copy_(ws[name])
    return mod, ws


def decode(solution, mod, x, splits):
    cache = solution.KVCache()
    outs, start = [], 0
    for size in splits:
        outs.append(mod(x[:, start:start + size], cache=cache))
        start += size
    return torch.cat(outs, 1), cache


def decode_mistakes(ws, x, splits, n_heads, **kw):
    return {LABELS[m]: (lambda m=m: ref_decode(ws, x, splits, n_heads, mistake=m, **kw)) for m in VALUE_MISTAKES}


def full_mistakes(ws, x, n_heads, **kw):
    return {LABELS[m]: (lambda m=m: ref_full(ws, x, n_heads, mistake=m, **kw)) for m in VALUE_MISTAKES}


# --- the cache ------------------------------------------------------------------------------------

def test_a_new_cache_is_empty(solution):
    cache = solution.KVCache()
    assert cache.seq_len == 0, f"KVCache().seq_len = {cache.seq_len}, expected 0"


def test_update_appends_on_the_sequence_axis(solution):
    cache = solution.KVCache()
    ks = [rand(1, 2, 3, 2, 6), rand(2, 2, 3, 2, 6), rand(3, 2, 3, 1, 6)]
    vs = [rand(4, 2, 3, 2, 6), rand(5, 2, 3, 2, 6), rand(6, 2, 3, 1, 6)]
    cache.update(ks[0], vs[0])
    k, v = cache.update(ks[1], vs[1])
    assert tuple(k.shape) == (2, 3, 4, 6) and tuple(v.shape) == (2, 3, 4, 6), (
        f"after 2 + 2 positions of (B=2, H=3, ·, d=6): update returned {tuple(k.shape)} and {tuple(v.shape)}, "
        "expected (2, 3, 4, 6): append on the sequence axis, dim 2"
        + (f"\n  this looks like a known mistake: {LABELS['cache_wrong_axis']}" if k.shape[1] == 6 else ""))
    k, v = cache.update(ks[2], vs[2])
    assert cache.seq_len == 5, f"seq_len = {cache.seq_len} after 2 + 2 + 1 positions, expected 5"
    assert_close(k, torch.cat(ks, 2), rtol=0, atol=0, name="keys returned by update (oldest first)")
    assert_close(v, torch.cat(vs, 2), rtol=0, atol=0, name="values returned by update (oldest first)")
    assert_close(cache.k, k, rtol=0, atol=0, name="cache.k after update (all keys so far)")
    assert_close(cache.v, v, rtol=0, atol=0, name="cache.v after update (all values so far)")


# --- the module -----------------------------------------------------------------------------------

@pytest.mark.parametrize("B,T,d_model,n_heads,base,seed", [
    (2, 6, 16, 4, 10000.0, 0), (1, 5, 12, 3, 500.0, 1), (3, 4, 8, 1, 10000.0, 2), (2, 3, 8, 4, 10000.0, 3),
])
def test_forward_without_cache_is_causal_attention_with_rope(solution, B, T, d_model, n_heads, base, seed):
    mod, ws = make(solution, d_model, n_heads, seed, base=base)
    x = rand(50 + seed, B, T, d_model)
    assert_close(mod(x), ref_full(ws, x, n_heads, base), rtol=1e-9, atol=1e-11,
                 name=f"forward(x) with no cache (T={T}, d_model={d_model}, n_heads={n_heads}, base={base:g})",
                 mistakes=full_mistakes(ws, x, n_heads, base=base))


@pytest.mark.parametrize("splits", [[5, 1, 1, 1], [3, 2, 4], [1, 1, 1, 1, 1], [2, 6]], ids=str)
def test_prefill_then_steps_equal_one_full_forward(solution, splits):
    mod, ws = make(solution, 16, 4, 7)
    x = rand(8, 2, sum(splits), 16)
    got, cache = decode(solution, mod, x, splits)
    assert cache.seq_len == sum(splits), f"cache.seq_len = {cache.seq_len} after chunks {splits}, expected {sum(splits)}"
    assert_close(got, ref_full(ws, x, 4), rtol=1e-9, atol=1e-11,
                 name=f"outputs of chunks {splits} through one cache vs one causal forward over all {sum(splits)} tokens",
                 mistakes=decode_mistakes(ws, x, splits, 4))


def test_cache_holds_rotated_keys_and_plain_values(solution):
    mod, ws = make(solution, 12, 3, 9)
    x = rand(10, 2, 5, 12)
    _, cache = decode(solution, mod, x, [3, 1, 1])
    pos = torch.arange(5, dtype=F64)
    k = ref_rope(heads(x @ ws["k_proj"].T, 3), pos, 10000.0)
    v = heads(x @ ws["v_proj"].T, 3)
    assert cache.k is not None and tuple(cache.k.shape) == (2, 3, 5, 4), \
        f"cache.k has shape {None if cache.k is None else tuple(cache.k.shape)}, expected (B=2, H=3, T=5, d_head=4)"
    assert_close(cache.k, k, rtol=1e-9, atol=1e-11, name="cache.k (keys after RoPE at their own positions 0..4)",
                 mistakes={LABELS["rotate_after_cache"]: heads(x @ ws["k_proj"].T, 3),
                           LABELS["positions_not_advanced"]: ref_chunk(ws, x[:, 3:4], 3, None, 3, 1e4, True,
                                                                       "positions_not_advanced")[1][0]})
    assert_close(cache.v, v, rtol=1e-9, atol=1e-11, name="cache.v (values, not rotated)")


def test_two_caches_do_not_share_state(solution):
    mod, ws = make(solution, 8, 2, 11)
    xa, xb = rand(12, 1, 4, 8), rand(13, 1, 3, 8)
    ca, cb = solution.KVCache(), solution.KVCache()
    outs_a = [mod(xa[:, :2], cache=ca)]
    outs_b = [mod(xb[:, :1], cache=cb)]
    outs_a.append(mod(xa[:, 2:3], cache=ca))
    outs_b.append(mod(xb[:, 1:], cache=cb))
    outs_a.append(mod(xa[:, 3:], cache=ca))
    assert (ca.seq_len, cb.seq_len) == (4, 3), f"seq_len of the two caches = {(ca.seq_len, cb.seq_len)}, expected (4, 3)"
    assert_close(torch.cat(outs_a, 1), ref_full(ws, xa, 2), rtol=1e-9, atol=1e-11,
                 name="sequence A decoded with its own cache, interleaved with sequence B")
    assert_close(torch.cat(outs_b, 1), ref_full(ws, xb, 2), rtol=1e-9, atol=1e-11,
                 name="sequence B decoded with its own cache, interleaved with sequence A")


def test_default_base_and_smallest_heads(solution):
    # one head of size 2 (a single rotated pair), the default base 10000, decoding from a one-token prompt
    mod, ws = make(solution, 2, 1, 14)
    x = rand(15, 1, 4, 2, scale=3.0)
    got, _ = decode(solution, mod, x, [1, 1, 1, 1])
    assert_close(got, ref_full(ws, x, 1), rtol=1e-9, atol=1e-11, name="d_model=2, one head, default base, 4 steps",
                 mistakes=decode_mistakes(ws, x, [1, 1, 1, 1], 1))


def test_float32_decoding(solution):
    mod, ws = make(solution, 16, 2, 16, dtype=torch.float32)
    x = rand(17, 2, 7, 16, dtype=torch.float32)
    got, cache = decode(solution, mod, x, [4, 1, 1, 1])
    assert got.dtype == torch.float32, f"float32 module and input gave {got.dtype}"
    assert cache.k.dtype == torch.float32, f"cache.k is {cache.k.dtype}, expected float32 (the model's dtype)"
    assert_close(got, ref_full(ws, x, 2), rtol=1e-4, atol=1e-5, name="float32 decoding, chunks [4, 1, 1, 1]",
                 mistakes=decode_mistakes(ws, x, [4, 1, 1, 1], 2))


def test_large_scores_stay_finite(solution):
    mod, ws = make(solution, 8, 2, 18)
    x = rand(19, 1, 5, 8, scale=60.0)
    got, _ = decode(solution, mod, x, [3, 1, 1])
    assert torch.isfinite(got).all(), "inf/NaN for scores in the thousands: subtract each row's max before exp"
    assert_close(got, ref_full(ws, x, 2), rtol=1e-8, atol=1e-9, name="decoding with scores in the thousands",
                 mistakes=decode_mistakes(ws, x, [3, 1, 1], 2))


@pytest.mark.parametrize("d_model,n_heads", [(12, 5), (12, 4), (6, 2)])
def test_rejects_heads_that_cannot_be_rotated(solution, d_model, n_heads):
    expect_value_error(lambda: solution.CachedSelfAttention(d_model, n_heads),
                       f"CachedSelfAttention({d_model}, {n_heads}) (d_model not divisible, or odd d_head)")


def test_gradients_of_the_full_forward(solution):
    mod, ws = make(solution, 8, 2, 20)
    x, w = rand(21, 2, 5, 8), rand(22, 2, 5, 8)
    (mod(x) * w).sum().backward()
    leaves = {n: W.clone().requires_grad_() for n, W in ws.items()}
    (ref_full(leaves, x, 2) * w).sum().backward()
    for name, W in leaves.items():
        grad = getattr(mod, name).weight.grad
        assert grad is not None, f"no gradient reached {name}.weight"
        assert_close(grad, W.grad, rtol=1e-8, atol=1e-10, name=f"d loss / d {name}.weight")


def test_decoding_does_not_modify_the_input(solution):
    mod, _ = make(solution, 8, 2, 23)
    x = rand(24, 1, 4, 8)
    before = x.clone()
    decode(solution, mod, x, [2, 1, 1])
    assert torch.equal(x, before), "the module modified its input x in place"


def test_variant_chunks(solution, variant):
    # A review may ask single steps or a chunked prefill; the core run: a prompt of 4, then 3 steps.
    splits = variant.get("splits", [4, 1, 1, 1])
    mod, ws = make(solution, 12, 2, 25)
    x = rand(26, 2, sum(splits), 12)
    got, _ = decode(solution, mod, x, splits)
    assert_close(got, ref_full(ws, x, 2), rtol=1e-9, atol=1e-11, name=f"decoding in chunks {splits}",
                 mistakes=decode_mistakes(ws, x, splits, 2))
