"""Hidden suite for mla: multi-head latent attention against a per-head float64 reference written here."""

import math

import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels
from quizcli.testing_distributed import held_elements

F64 = torch.float64
LABELS = mistake_labels(__file__)
COMMON = ["rope_on_latent", "scale_as_in_notes", "scale_nope_only", "cos_sin_swapped", "positions_not_advanced",
          "mask_local_positions"]
ABSORBED = COMMON + ["absorbed_heads_split_wrong", "absorbed_uv_reshaped"]
DIMS = dict(d_model=16, n_heads=4, d_latent=6, d_nope=8, d_rope=4, d_v=8)


def rand(seed, *shape, dtype=F64, scale=1.0):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)).to(dtype)


def ref_rope(x, start, base, swap=False):
    d = x.shape[-1]
    angles = (torch.arange(x.shape[-2], dtype=F64) + start)[:, None] * base ** (-2 * torch.arange(d // 2,
                                                                                                   dtype=F64) / d)
    c, s = (angles.sin(), angles.cos()) if swap else (angles.cos(), angles.sin())
    a, b = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([a * c - b * s, b * c + a * s], -1)


def ref_step(ws, x, dims, start=0, past=None, mistake=None):
    """One call on x (B, L, d_model) at positions start..; past = (c_kv, k_rope) cached so far. -> (out, cache)."""
    H, dl, dn, dr, dv = (dims[k] for k in ("n_heads", "d_latent", "d_nope", "d_rope", "d_v"))
    base = dims.get("base", 10000.0)
    x = x.double()
    B, L, _ = x.shape
    rs, swap = (0 if mistake == "positions_not_advanced" else start), mistake == "cos_sin_swapped"
    q = (x @ ws["W_q"].T).view(B, L, H, dn + dr)
    c = x @ ws["W_dkv"].T
    if mistake == "rope_on_latent":
        c = ref_rope(c, rs, base, swap)
    kr = ref_rope(x @ ws["W_kr"].T, rs, base, swap)
    if past is not None:
        c, kr = torch.cat([past[0], c], 1), torch.cat([past[1], kr], 1)
    scale = {"scale_as_in_notes": 1 / (math.sqrt(dn) + math.sqrt(dr)),
             "scale_nope_only": 1 / math.sqrt(dn)}.get(mistake, 1 / math.sqrt(dn + dr))
    q_pos = torch.arange(L) + (0 if mistake == "mask_local_positions" else start)
    keep = torch.arange(c.shape[1])[None, :] <= q_pos[:, None]
    outs = []
    for h in range(H):
        w_uk = ws["W_uk"][h::H] if mistake == "absorbed_heads_split_wrong" else ws["W_uk"][h * dn:(h + 1) * dn]
        k_nope = c @ w_uk.T
        q_rope = ref_rope(q[:, :, h, dn:], rs, base, swap)
        s = (q[:, :, h, :dn] @ k_nope.transpose(1, 2) + q_rope @ kr.transpose(1, 2)) * scale
        ctx = torch.softmax(s.masked_fill(~keep, -math.inf), -1) @ c  # (B, L, d_latent)
        if mistake == "absorbed_uv_reshaped":
            outs.append(ctx @ ws["W_uv"].reshape(H, dv * dl)[h].reshape(dl, dv))
        else:
            outs.append(ctx @ ws["W_uv"][h * dv:(h + 1) * dv].T)
    return torch.cat(outs, -1) @ ws["W_o"].T, (c, kr)


def ref_decode(ws, x, dims, splits, mistake=None):
    outs, past, start = [], None, 0
    for size in splits:
        out, past = ref_step(ws, x[:, start:start + size], dims, start, past, mistake)
        outs.append(out)
        start += size
    return torch.cat(outs, 1)


def shapes(d_model, n_heads, d_latent, d_nope, d_rope, d_v, **_):
    return {"W_q": (n_heads * (d_nope + d_rope), d_model), "W_dkv": (d_latent, d_model),
            "W_uk": (n_heads * d_nope, d_latent), "W_uv": (n_heads * d_v, d_latent), "W_kr": (d_rope, d_model),
            "W_o": (d_model, n_heads * d_v)}


def make(solution, dims, seed, dtype=F64):
    kw = {k: v for k, v in dims.items() if k != "d_model"}
    mod = solution.MultiHeadLatentAttention(dims["d_model"], **kw).to(dtype)
    g = torch.Generator().manual_seed(seed)
    ws = {}
    with torch.no_grad():
        for name, shape in shapes(**dims).items():
            lin = getattr(mod, name, None)
            assert isinstance(lin, torch.nn.Linear), f"{name} must be an nn.Linear"
            assert tuple(lin.weight.shape) == shape, \
                f"{name}.weight has shape {tuple(lin.weight.shape)}, expected {shape}"
            assert lin.bias is None, f"{name} must have no bias (bias=False)"
            ws[name] = torch.randn(*shape, generator=g, dtype=F64) / math.sqrt(shape[1])
            lin.weight.copy_(ws[name])
    return mod, ws


def mistakes(absorbed, fn):
    return {LABELS[m]: (lambda m=m: fn(m)) for m in (ABSORBED if absorbed else COMMON)}


def decode(solution, mod, x, splits, absorbed=False):
    cache = solution.MLACache()
    outs, start = [], 0
    for size in splits:
        outs.append(mod(x[:, start:start + size], cache=cache, absorbed=absorbed))
        start += size
    return torch.cat(outs, 1), cache


@pytest.mark.parametrize("absorbed", [False, True], ids=["expanded", "absorbed"])
@pytest.mark.parametrize("dims,B,L,seed", [
    (DIMS, 2, 5, 0),
    (dict(d_model=12, n_heads=3, d_latent=4, d_nope=6, d_rope=2, d_v=5), 1, 6, 1),
    (dict(d_model=8, n_heads=1, d_latent=2, d_nope=4, d_rope=6, d_v=4, base=500.0), 2, 4, 2),
    (dict(d_model=10, n_heads=2, d_latent=8, d_nope=1, d_rope=2, d_v=3), 3, 3, 3),
])
def test_forward_matches_reference(solution, dims, B, L, seed, absorbed):
    mod, ws = make(solution, dims, seed)
    x = rand(40 + seed, B, L, dims["d_model"])
    assert_close(mod(x, absorbed=absorbed), ref_step(ws, x, dims)[0], rtol=1e-9, atol=1e-11,
                 name=f"MLA forward, no cache, absorbed={absorbed} ({dims})",
                 mistakes=mistakes(absorbed, lambda m: ref_step(ws, x, dims, mistake=m)[0]))


def test_absorbed_path_never_applies_the_up_projections(solution):
    mod, ws = make(solution, DIMS, 4)
    calls = []
    for name in ("W_uk", "W_uv"):
        getattr(mod, name).register_forward_hook(lambda m, i, o, name=name: calls.append(name))
    x = rand(5, 2, 6, 16)
    out, _ = decode(solution, mod, x, [4, 1, 1], absorbed=True)
    assert not calls, (f"absorbed=True called {sorted(set(calls))} as layers: the absorbed path scores queries "
                       "against the latent with W_uk.weight / W_uv.weight and never materialises K or V")
    assert_close(out, ref_decode(ws, x, DIMS, [6]), rtol=1e-9, atol=1e-11, name="absorbed decoding, chunks [4, 1, 1]",
                 mistakes=mistakes(True, lambda m: ref_decode(ws, x, DIMS, [4, 1, 1], m)))


@pytest.mark.parametrize("absorbed", [False, True], ids=["expanded", "absorbed"])
@pytest.mark.parametrize("splits", [[4, 1, 1], [2, 3, 1], [1, 1, 1, 1]], ids=str)
def test_decoding_through_the_cache_equals_one_full_forward(solution, splits, absorbed):
    mod, ws = make(solution, DIMS, 6)
    x = rand(7, 2, sum(splits), 16)
    got, cache = decode(solution, mod, x, splits, absorbed)
    assert cache.seq_len == sum(splits), f"cache.seq_len = {cache.seq_len} after chunks {splits}"
    assert_close(got, ref_decode(ws, x, DIMS, [sum(splits)]), rtol=1e-9, atol=1e-11,
                 name=f"decoding in chunks {splits} (absorbed={absorbed}) vs one causal forward",
                 mistakes=mistakes(absorbed, lambda m: ref_decode(ws, x, DIMS, splits, m)))


def test_cache_holds_the_latent_and_the_rotated_rope_key(solution):
    mod, ws = make(solution, DIMS, 8)
    x = rand(9, 2, 5, 16)
    _, cache = decode(solution, mod, x, [3, 1, 1])
    want_c, want_kr = x @ ws["W_dkv"].T, ref_rope(x @ ws["W_kr"].T, 0, 10000.0)
    for name, want in [("c_kv", want_c), ("k_rope", want_kr)]:
        got = getattr(cache, name, None)
        assert got is not None and tuple(got.shape) == tuple(want.shape), (
            f"cache.{name} has shape {None if got is None else tuple(got.shape)}, expected {tuple(want.shape)} (B, T, ·)")
    assert_close(cache.c_kv, want_c, rtol=1e-9, atol=1e-11, name="cache.c_kv (x W_dkvᵀ, not rotated)",
                 mistakes={LABELS["rope_on_latent"]: ref_rope(want_c, 0, 10000.0)})
    assert_close(cache.k_rope, want_kr, rtol=1e-9, atol=1e-11,
                 name="cache.k_rope (x W_krᵀ after RoPE at positions 0..4)")


def test_the_cache_holds_nothing_but_latents_and_rope_keys(solution):
    mod, _ = make(solution, DIMS, 10)
    B, T = 2, 8
    with torch.no_grad():
        _, cache = decode(solution, mod, rand(11, B, T, 16), [5, 1, 1, 1])
    held = held_elements(cache)
    budget = 2 * B * T * (DIMS["d_latent"] + DIMS["d_rope"])  # twice the need, for growing buffers
    full = B * T * DIMS["n_heads"] * (DIMS["d_nope"] + DIMS["d_v"])
    assert held <= budget, (
        f"the cache holds {held} elements after {T} tokens; MLA needs B·T·(d_latent + d_rope) = {budget // 2} "
        f"(full keys and values would be {full})"
        + (f"\n  this looks like a known mistake: {LABELS['cache_full_kv']}" if held >= full else ""))


def test_defaults(solution):
    dims = dict(d_model=8, n_heads=2, d_latent=4, d_nope=2, d_rope=2, d_v=3)
    mod = solution.MultiHeadLatentAttention(8, 2, 4, 2, 2, 3).double()
    _, ws = make(solution, dims, 12)
    with torch.no_grad():
        for name, w in ws.items():
            getattr(mod, name).weight.copy_(w)
    x = rand(13, 2, 4, 8)
    assert_close(mod(x), ref_step(ws, x, dims)[0], rtol=1e-9, atol=1e-11,
                 name="forward(x) with the defaults (base 10000, no cache, not absorbed)",
                 mistakes=mistakes(False, lambda m: ref_step(ws, x, dims, mistake=m)[0]))


@pytest.mark.parametrize("absorbed", [False, True], ids=["expanded", "absorbed"])
def test_gradients(solution, absorbed):
    mod, ws = make(solution, DIMS, 14)
    x, w = rand(15, 2, 4, 16), rand(16, 2, 4, 16)
    (mod(x, absorbed=absorbed) * w).sum().backward()
    leaves = {n: W.clone().requires_grad_() for n, W in ws.items()}
    (ref_step(leaves, x, DIMS)[0] * w).sum().backward()
    for name, W in leaves.items():
        grad = getattr(mod, name).weight.grad
        assert grad is not None, f"no gradient reached {name}.weight (absorbed={absorbed})"
        assert_close(grad, W.grad, rtol=1e-8, atol=1e-10, name=f"d loss / d {name}.weight (absorbed={absorbed})")


def test_odd_rope_size_is_rejected(solution):
    expect_value_error(lambda: solution.MultiHeadLatentAttention(16, 4, 6, 8, 3, 8), "d_rope = 3 (odd)")


def test_large_scores_stay_finite(solution):
    mod, ws = make(solution, DIMS, 17)
    x = rand(18, 1, 5, 16, scale=40.0)
    got, _ = decode(solution, mod, x, [3, 1, 1], absorbed=True)
    assert torch.isfinite(got).all(), "inf/NaN for scores in the thousands: subtract each row's max before exp"
    assert_close(got, ref_decode(ws, x, DIMS, [5]), rtol=1e-8, atol=1e-9, name="MLA with scores in the thousands")


def test_float32(solution):
    mod, ws = make(solution, DIMS, 19, dtype=torch.float32)
    x = rand(20, 2, 6, 16, dtype=torch.float32)
    got, cache = decode(solution, mod, x, [4, 2], absorbed=True)
    assert got.dtype == torch.float32 and cache.c_kv.dtype == torch.float32, \
        f"float32 module: output {got.dtype}, cache {cache.c_kv.dtype}; expected float32"
    assert_close(got, ref_decode(ws, x, DIMS, [6]), rtol=1e-4, atol=1e-5, name="float32 absorbed decoding",
                 mistakes=mistakes(True, lambda m: ref_decode(ws, x, DIMS, [4, 2], m)))


def test_variant_task(solution, variant):
    # A review may ask the absorbed path or another chunking; the core run: expanded, a prompt of 3 then 2 steps.
    absorbed, splits = variant.get("absorbed", False), variant.get("splits", [3, 1, 1])
    mod, ws = make(solution, DIMS, 21)
    x = rand(22, 2, sum(splits), 16)
    got, _ = decode(solution, mod, x, splits, absorbed)
    assert_close(got, ref_decode(ws, x, DIMS, [sum(splits)]), rtol=1e-9, atol=1e-11,
                 name=f"decoding in chunks {splits} (absorbed={absorbed})",
                 mistakes=mistakes(absorbed, lambda m: ref_decode(ws, x, DIMS, splits, m)))
