"""Hidden suite for gqa: grouped-query attention against a per-head float64 reference written here."""

import math

import pytest
import torch

from quizcli.testing import assert_close, assert_same_gradients, expect_value_error, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


def kv_index(h, n_heads, n_kv, mistake=None):
    return h % n_kv if mistake == "kv_heads_tiled" else h // (n_heads // n_kv)


def ref_gqa(q, k, v, causal=False, mistake=None, d_model=None):
    """Per-head loop in float64."""
    q, k, v = q.double(), k.double(), v.double()
    B, H, lq, d = q.shape
    Hkv, lk = k.shape[1], k.shape[2]
    scale = 1 / math.sqrt(d_model if mistake == "scale_by_d_model" else d)
    keep = torch.ones(lq, lk, dtype=torch.bool)
    if causal and mistake != "causal_ignored":
        if mistake == "causal_mask_inverted":
            keep = keep.triu()
        else:
            keep = keep.tril({"causal_excludes_diagonal": -1, "causal_bottom_right": lk - lq}.get(mistake, 0))
    outs = []
    for h in range(H):
        j = kv_index(h, H, Hkv, mistake)
        s = (q[:, h] @ k[:, j].transpose(-1, -2)) * scale
        s = s.masked_fill(~keep, -1e4 if mistake == "causal_fill_finite" else float("-inf"))
        outs.append(torch.softmax(s, -1) @ v[:, j])
    return torch.stack(outs, 1)


def rand(g, *shape, dtype=F64):
    return torch.randn(*shape, generator=g, dtype=dtype)


FN_ALL = ["kv_heads_tiled", "causal_excludes_diagonal", "causal_mask_inverted", "causal_ignored"]


def fn_mistakes(q, k, v, labels=FN_ALL, **kw):
    return {LABELS[m]: ref_gqa(q, k, v, mistake=m, **kw) for m in labels}


@pytest.mark.parametrize("B,H,Hkv,L,d,causal,seed", [
    (2, 4, 2, 5, 8, False, 0),
    (1, 6, 3, 7, 4, True, 1),
    (2, 8, 2, 3, 5, True, 2),
    (3, 6, 2, 4, 1, False, 3),
])
def test_function_matches_per_head_reference(solution, B, H, Hkv, L, d, causal, seed):
    g = torch.Generator().manual_seed(seed)
    q, k, v = rand(g, B, H, L, d), rand(g, B, Hkv, L, d), rand(g, B, Hkv, L, d)
    out = solution.grouped_query_attention(q, k, v, causal=causal)
    assert_close(out, ref_gqa(q, k, v, causal=causal), rtol=1e-9, atol=1e-10,
                 name=f"GQA output (n_heads={H}, n_kv_heads={Hkv}, causal={causal})",
                 mistakes=fn_mistakes(q, k, v, causal=causal))


def test_kv_head_j_serves_query_heads_j_times_g_onwards(solution):
    # 6 query heads, 2 kv heads (g = 3): heads 0,1,2 must read kv head 0 and heads 3,4,5 kv head 1.
    # Values are constant per kv head, so every output row equals its kv head's value.
    g = torch.Generator().manual_seed(4)
    q, k = rand(g, 1, 6, 3, 4), rand(g, 1, 2, 5, 4)
    v = torch.stack([torch.full((5, 4), 10.0, dtype=F64), torch.full((5, 4), 20.0, dtype=F64)])[None]
    out = solution.grouped_query_attention(q, k, v)
    got = [round(float(out[0, h].mean()), 6) for h in range(6)]
    tiled = [10.0, 20.0, 10.0, 20.0, 10.0, 20.0]
    assert got == [10.0, 10.0, 10.0, 20.0, 20.0, 20.0], (
        f"output per query head = {got}; expected [10, 10, 10, 20, 20, 20] (kv head j serves query heads "
        "j·g … j·g+g−1)" + ("\n  this looks like a known mistake: " + LABELS["kv_heads_tiled"] if got == tiled else ""))


def test_equals_multi_head_attention_when_kv_heads_equal_heads(solution):
    g = torch.Generator().manual_seed(5)
    q, k, v = rand(g, 2, 4, 6, 3), rand(g, 2, 4, 6, 3), rand(g, 2, 4, 6, 3)
    out = solution.grouped_query_attention(q, k, v, causal=True)
    s = (q @ k.transpose(-1, -2) / math.sqrt(3)).masked_fill(~torch.ones(6, 6, dtype=torch.bool).tril(), -math.inf)
    mha = torch.softmax(s, -1) @ v
    assert_close(out, mha, rtol=1e-9, atol=1e-10, name="GQA with n_kv_heads = n_heads (must be plain causal MHA)",
                 mistakes=fn_mistakes(q, k, v, causal=True))


def test_equals_multi_query_attention_with_one_kv_head(solution):
    g = torch.Generator().manual_seed(6)
    q, k, v = rand(g, 2, 5, 4, 6), rand(g, 2, 1, 7, 6), rand(g, 2, 1, 7, 6)
    out = solution.grouped_query_attention(q, k, v)
    mqa = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(6), -1) @ v  # k, v broadcast over the heads
    assert_close(out, mqa, rtol=1e-9, atol=1e-10, name="GQA with n_kv_heads = 1 (must be MQA), Lq=4, Lk=7")


def test_causal_future_keys_have_no_influence(solution):
    g = torch.Generator().manual_seed(7)
    q, k, v = rand(g, 1, 4, 6, 3), rand(g, 1, 2, 6, 3), rand(g, 1, 2, 6, 3)
    out = solution.grouped_query_attention(q, k, v, causal=True)
    if torch.isnan(out).any():
        raise AssertionError("causal output contains NaN: a query with no key left (was the diagonal masked? "
                             "query i must keep keys j <= i)")
    k2, v2 = k.clone(), v.clone()
    k2[..., 3:, :] += 5
    v2[..., 3:, :] += 50
    out2 = solution.grouped_query_attention(q, k2, v2, causal=True)
    assert_close(out2[..., :3, :], out[..., :3, :], rtol=1e-9, atol=1e-9,
                 name="causal outputs of queries 0..2 after changing keys/values 3..5 (must not change)",
                 mistakes=fn_mistakes(q, k2, v2, causal=True))
    assert_close(out, ref_gqa(q, k, v, causal=True), rtol=1e-9, atol=1e-10, name="causal GQA output",
                 mistakes=fn_mistakes(q, k, v, causal=True))


def test_function_rejects_indivisible_heads(solution):
    g = torch.Generator().manual_seed(8)
    q, k = rand(g, 1, 6, 3, 2), rand(g, 1, 4, 3, 2)
    expect_value_error(lambda: solution.grouped_query_attention(q, k, k.clone()),
                       "grouped_query_attention with 6 query heads and 4 kv heads (6 % 4 != 0)")


def test_function_gradients_match_reference(solution):
    g = torch.Generator().manual_seed(9)
    base = [rand(g, 2, 6, 5, 4), rand(g, 2, 3, 5, 4), rand(g, 2, 3, 5, 4)]
    assert_same_gradients(lambda *t: solution.grouped_query_attention(*t, causal=True),
                          lambda *t: ref_gqa(*t, causal=True), base, rand(g, 2, 6, 5, 4), "qkv", rtol=1e-8, atol=1e-10,
                          what=" (shared kv heads sum the gradients of their query heads)")


# --- module -----------------------------------------------------------------------------------

def set_weights(mod, d_model, n_heads, n_kv, seed):
    g = torch.Generator().manual_seed(seed)
    dh = d_model // n_heads
    shapes = {"q_proj": (n_heads * dh, d_model), "k_proj": (n_kv * dh, d_model),
              "v_proj": (n_kv * dh, d_model), "o_proj": (d_model, n_heads * dh)}
    ws = {}
    with torch.no_grad():
        for name, shape in shapes.items():
            lin = getattr(mod, name, None)
            assert isinstance(lin, torch.nn.Linear), f"{name} must be an nn.Linear"
            assert tuple(lin.weight.shape) == shape, \
                f"{name}.weight has shape {tuple(lin.weight.shape)}, expected {shape}"
            W = torch.randn(*shape, generator=g, dtype=F64) / math.sqrt(shape[1])
            b = torch.randn(shape[0], generator=g, dtype=F64) * 0.1
            lin.weight.copy_(W)
            lin.bias.copy_(b)
            ws[name] = (W, b)
    return ws


def ref_module(ws, x, n_heads, n_kv, causal=False, mistake=None):
    x = x.double()
    B, L, dm = x.shape
    dh = dm // n_heads

    def proj(name, t, heads):
        W, b = ws[name]
        y = t @ W.T + b
        return torch.stack([y[..., h * dh:(h + 1) * dh] for h in range(heads)], 1)

    o = ref_gqa(proj("q_proj", x, n_heads), proj("k_proj", x, n_kv), proj("v_proj", x, n_kv), causal=causal,
                mistake=mistake, d_model=dm)
    W, b = ws["o_proj"]
    return torch.cat([o[:, h] for h in range(n_heads)], -1) @ W.T + b


MOD_ALL = ["kv_heads_tiled", "scale_by_d_model", "causal_excludes_diagonal", "causal_mask_inverted", "causal_ignored"]


@pytest.mark.parametrize("d_model,n_heads,n_kv,causal,seed", [
    (16, 4, 2, True, 0), (12, 6, 3, False, 1), (12, 6, 1, True, 2), (8, 4, 4, True, 3), (10, 2, 1, False, 4),
])
def test_module_matches_reference(solution, d_model, n_heads, n_kv, causal, seed):
    mod = solution.GroupedQueryAttention(d_model, n_heads, n_kv).double()
    ws = set_weights(mod, d_model, n_heads, n_kv, seed)
    x = torch.randn(2, 5, d_model, generator=torch.Generator().manual_seed(50 + seed), dtype=F64)
    out = mod(x, causal=causal)
    assert_close(out, ref_module(ws, x, n_heads, n_kv, causal=causal), rtol=1e-8, atol=1e-10,
                 name=f"GroupedQueryAttention(d_model={d_model}, n_heads={n_heads}, n_kv_heads={n_kv}) output",
                 mistakes={LABELS[m]: ref_module(ws, x, n_heads, n_kv, causal=causal, mistake=m) for m in MOD_ALL})


def test_module_has_fewer_kv_parameters(solution):
    mod = solution.GroupedQueryAttention(16, 8, 2)
    n = sum(p.numel() for p in mod.parameters())
    expected = 2 * (16 * 16 + 16) + 2 * (16 * 4 + 4)
    assert n == expected, f"{n} parameters for (d_model=16, n_heads=8, n_kv_heads=2); expected {expected} " \
                          "(k_proj and v_proj project to n_kv_heads·d_head = 4 features)"


@pytest.mark.parametrize("d_model,n_heads,n_kv", [(12, 6, 4), (12, 4, 3), (16, 4, 8), (10, 3, 1)])
def test_module_rejects_bad_head_counts(solution, d_model, n_heads, n_kv):
    expect_value_error(lambda: solution.GroupedQueryAttention(d_model, n_heads, n_kv),
                       f"GroupedQueryAttention(d_model={d_model}, n_heads={n_heads}, n_kv_heads={n_kv})")


def test_module_float32_gradients(solution):
    d_model, n_heads, n_kv = 8, 4, 2
    mod = solution.GroupedQueryAttention(d_model, n_heads, n_kv)
    ws = set_weights(mod, d_model, n_heads, n_kv, 60)
    g = torch.Generator().manual_seed(61)
    x = torch.randn(2, 4, d_model, generator=g)
    w = torch.randn(2, 4, d_model, generator=g)
    out = mod(x, causal=True)
    assert out.dtype == torch.float32, f"output dtype {out.dtype}, expected float32"
    (out * w).sum().backward()
    leaves = {n: (W.clone().requires_grad_(), b.clone().requires_grad_()) for n, (W, b) in ws.items()}
    (ref_module(leaves, x, n_heads, n_kv, causal=True) * w.double()).sum().backward()
    for name, (W, _) in leaves.items():
        grad = getattr(mod, name).weight.grad
        assert grad is not None, f"no gradient reached {name}.weight"
        assert_close(grad, W.grad, rtol=1e-4, atol=1e-5, name=f"d loss / d {name}.weight (float32)")


# --- the weakness classes: unequal lengths, extreme scores, layouts ------------------------------------------

@pytest.mark.parametrize("H,Hkv,lq,lk,seed", [(4, 2, 3, 6, 20), (6, 3, 2, 5, 21), (4, 1, 5, 3, 22)])
def test_causal_is_top_left_aligned_when_lengths_differ(solution, H, Hkv, lq, lk, seed):
    g = torch.Generator().manual_seed(seed)
    q, k, v = rand(g, 2, H, lq, 4), rand(g, 2, Hkv, lk, 4), rand(g, 2, Hkv, lk, 4)
    out = solution.grouped_query_attention(q, k, v, causal=True)
    assert_close(out, ref_gqa(q, k, v, causal=True), rtol=1e-9, atol=1e-10,
                 name=f"causal GQA with Lq={lq}, Lk={lk} (query i keeps keys j <= i)",
                 mistakes=fn_mistakes(q, k, v, ["causal_bottom_right", "causal_excludes_diagonal", "kv_heads_tiled"],
                                      causal=True))


def test_large_scores_stay_finite(solution):
    g = torch.Generator().manual_seed(23)
    q = rand(g, 1, 4, 3, 8, dtype=torch.float32) * 300
    k, v = rand(g, 1, 2, 5, 8, dtype=torch.float32), rand(g, 1, 2, 5, 8, dtype=torch.float32)
    out = solution.grouped_query_attention(q, k, v)
    assert torch.isfinite(out).all(), "output has inf/NaN for large scores: subtract the row maximum in the softmax"
    assert_close(out, ref_gqa(q, k, v), rtol=1e-4, atol=1e-4, name="GQA output for scores in the hundreds")


def test_future_keys_get_no_weight_even_below_finite_fills(solution):
    # Every key identical and every score ≈ −10⁶: a finite fill such as −1e4 would then be the largest score and
    # hand the weight to the future keys; with −inf, query i averages the values of keys 0..i.
    g = torch.Generator().manual_seed(27)
    q = torch.rand(1, 4, 5, 3, generator=g, dtype=F64) + 1.0
    k = torch.full((1, 2, 5, 3), -1e6, dtype=F64)
    v = rand(g, 1, 2, 5, 3)
    prefix_mean = v.cumsum(dim=2) / torch.arange(1, 6, dtype=F64).view(5, 1)
    assert_close(solution.grouped_query_attention(q, k, v, causal=True), prefix_mean.repeat_interleave(2, dim=1),
                 rtol=1e-9, atol=1e-10, name="causal output when every score is ≈ −10⁶ (mask future keys with −inf)",
                 mistakes=fn_mistakes(q, k, v, ["causal_fill_finite"], causal=True))


def test_non_contiguous_inputs(solution):
    g = torch.Generator().manual_seed(24)
    q = rand(g, 2, 5, 6, 4).transpose(1, 2)      # (2, 6, 5, 4) as a view
    k = rand(g, 2, 3, 4, 7).transpose(-1, -2)    # (2, 3, 7, 4)
    v = rand(g, 2, 3, 7, 8)[..., ::2]            # (2, 3, 7, 4), strided
    out = solution.grouped_query_attention(q, k, v, causal=True)
    assert_close(out, ref_gqa(q, k, v, causal=True), rtol=1e-9, atol=1e-10,
                 name="GQA on transposed / strided q, k, v", mistakes=fn_mistakes(q, k, v, causal=True))


def test_module_default_is_not_causal_and_batch_of_one(solution):
    d_model, n_heads, n_kv = 8, 4, 2
    mod = solution.GroupedQueryAttention(d_model, n_heads, n_kv).double()
    ws = set_weights(mod, d_model, n_heads, n_kv, 25)
    x = torch.randn(1, 4, d_model, generator=torch.Generator().manual_seed(26), dtype=F64)
    assert_close(mod(x), ref_module(ws, x, n_heads, n_kv), rtol=1e-8, atol=1e-10,
                 name="GroupedQueryAttention(x) with the default causal=False, batch 1")


def test_variant_head_layout(solution, variant):
    # A review may ask MQA (one kv head) or MHA (as many kv heads as query heads); the core run: 8 over 2.
    H, Hkv, causal = variant.get("n_heads", 8), variant.get("n_kv_heads", 2), variant.get("causal", True)
    g = torch.Generator().manual_seed(31)
    q, k, v = rand(g, 2, H, 6, 4), rand(g, 2, Hkv, 6, 4), rand(g, 2, Hkv, 6, 4)
    assert_close(solution.grouped_query_attention(q, k, v, causal=causal), ref_gqa(q, k, v, causal=causal),
                 rtol=1e-9, atol=1e-10, name=f"GQA output (n_heads={H}, n_kv_heads={Hkv}, causal={causal})",
                 mistakes=fn_mistakes(q, k, v, causal=causal))
