"""Hidden suite for attention: SDPA and multi-head attention against float64 references written here."""

import math

import pytest
import torch

from quizcli.testing import assert_close, assert_same_gradients, expect_value_error, known_mistake, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


def ref_sdpa(q, k, v, mask=None, causal=False, scale=None, mistake=None):
    q, k, v = q.double(), k.double(), v.double()
    d = q.shape[-1]
    scale = 1 / math.sqrt(d) if scale is None else scale
    if mistake == "no_scale":
        scale = 1.0
    s = torch.einsum("...qd,...kd->...qk", q, k) * scale
    lq, lk = s.shape[-2:]
    keep = torch.ones(lq, lk, dtype=torch.bool)
    if mask is not None and mistake != "mask_ignored_with_causal":
        keep = keep & mask
    if causal and not (mistake == "causal_ignored_with_mask" and mask is not None):
        diagonal = {"causal_excludes_diagonal": -1, "causal_bottom_right": lk - lq}.get(mistake, 0)
        keep = keep & torch.ones(lq, lk, dtype=torch.bool).tril(diagonal)
    keep = keep.expand(s.shape)
    if mistake == "mask_after_softmax":
        w = torch.softmax(s, dim=-1) * keep
    elif mistake == "mask_filled_with_zero":
        w = torch.softmax(s.masked_fill(~keep, 0.0), dim=-1)
    else:
        s = s.masked_fill(~keep, float("-inf"))
        w = torch.softmax(s, dim=-2 if mistake == "softmax_over_queries" else -1)
    return torch.einsum("...qk,...kd->...qd", w, v)


def sdpa_mistakes(q, k, v, labels, **kw):
    return {LABELS[m]: ref_sdpa(q, k, v, mistake=m, **kw) for m in labels}


def rand(g, *shape, dtype=F64):
    return torch.randn(*shape, generator=g, dtype=dtype)


def random_keep_mask(g, shape):
    """Random bool mask, every query row keeps at least one key (key 0)."""
    m = torch.rand(*shape, generator=g) < 0.6
    m[..., 0] = True
    return m


SDPA_ALL = ["no_scale", "softmax_over_queries", "mask_filled_with_zero", "mask_after_softmax", "causal_excludes_diagonal"]


@pytest.mark.parametrize("lead,lq,lk,d,dv,seed", [
    ((2,), 5, 5, 8, 8, 0),
    ((2, 3), 4, 7, 16, 5, 1),
    ((), 1, 6, 3, 3, 2),
    ((3, 2, 1), 6, 3, 4, 9, 3),
])
def test_sdpa_matches_float64_reference(solution, lead, lq, lk, d, dv, seed):
    g = torch.Generator().manual_seed(seed)
    q, k, v = rand(g, *lead, lq, d), rand(g, *lead, lk, d), rand(g, *lead, lk, dv)
    out = solution.scaled_dot_product_attention(q, k, v)
    assert_close(out, ref_sdpa(q, k, v), rtol=1e-9, atol=1e-10, name=f"attention output q{tuple(q.shape)}",
                 mistakes=sdpa_mistakes(q, k, v, SDPA_ALL))


def test_sdpa_explicit_scale_is_used(solution):
    g = torch.Generator().manual_seed(4)
    q, k, v = rand(g, 2, 5, 6), rand(g, 2, 5, 6), rand(g, 2, 5, 6)
    out = solution.scaled_dot_product_attention(q, k, v, scale=0.7)
    assert_close(out, ref_sdpa(q, k, v, scale=0.7), rtol=1e-9, atol=1e-10, name="output with scale=0.7",
                 mistakes={"scale argument ignored (1/√d used)": ref_sdpa(q, k, v)})


def test_sdpa_scale_zero_gives_uniform_weights(solution):
    # scale=0.0 is a valid multiplier (not "no scale given"): every kept key gets the same weight.
    g = torch.Generator().manual_seed(15)
    q, k, v = rand(g, 2, 4, 5), rand(g, 2, 6, 5), rand(g, 2, 6, 3)
    out = solution.scaled_dot_product_attention(q, k, v, scale=0.0)
    assert_close(out, v.mean(dim=-2, keepdim=True).expand(2, 4, 3), rtol=1e-9, atol=1e-10,
                 name="output with scale=0.0 (uniform weights: the mean of v)",
                 mistakes={LABELS["scale_zero_as_default"]: ref_sdpa(q, k, v)})


def test_sdpa_leaves_its_inputs_unchanged(solution):
    g = torch.Generator().manual_seed(16)
    q, k, v = rand(g, 2, 5, 4), rand(g, 2, 5, 4), rand(g, 2, 5, 3)
    mask = random_keep_mask(g, (2, 5, 5))  # full shape: an in-place `&=` on it would go unnoticed otherwise
    given = [t.clone() for t in (q, k, v, mask)]
    solution.scaled_dot_product_attention(q, k, v, mask=mask, causal=True)
    for name, t, t0 in zip(("q", "k", "v", "mask"), (q, k, v, mask), given):
        if not torch.equal(t, t0):
            hint = known_mistake(LABELS["mask_modified_in_place"]) if name == "mask" else ""
            raise AssertionError(f"the call modified its argument {name} in place: inputs are read-only" + hint)


def test_sdpa_masked_keys_get_no_weight_even_below_finite_fills(solution):
    # Kept scores around −10⁶: a finite fill such as −1e4 is then the LARGEST score and the padding wins;
    # −inf (or the dtype's most negative value) gives masked keys exactly zero weight whatever the scores.
    g = torch.Generator().manual_seed(17)
    q = torch.rand(2, 3, 4, generator=g, dtype=F64) + 1.0
    k = rand(g, 2, 6, 4)
    k[:, :4] = -1e6  # the four kept keys: identical, so they share the weight equally
    v = rand(g, 2, 6, 3)
    mask = torch.zeros(2, 3, 6, dtype=torch.bool)
    mask[..., :4] = True
    out = solution.scaled_dot_product_attention(q, k, v, mask=mask)
    assert_close(out, v[:, :4].mean(dim=-2, keepdim=True).expand(2, 3, 3), rtol=1e-9, atol=1e-10,
                 name="output when every kept score is ≈ −10⁶ (masked keys must still get weight 0: fill with −inf)")


def test_sdpa_softmax_is_over_keys(solution):
    # With v = all ones, each output is Σ_j w_ij · 1 = 1 exactly when the weights sum to 1 over the keys.
    g = torch.Generator().manual_seed(5)
    q, k = rand(g, 2, 4, 6, 8), rand(g, 2, 4, 6, 8)
    v = torch.ones(2, 4, 6, 3, dtype=F64)
    out = solution.scaled_dot_product_attention(q, k, v)
    assert_close(out, v[..., :6, :], rtol=1e-9, atol=1e-10,
                 name="output for v = ones (rows of the attention weights must sum to 1 over the keys)",
                 mistakes=sdpa_mistakes(q, k, v, ["softmax_over_queries"]))


@pytest.mark.parametrize("seed,mask_shape", [(6, (2, 5, 7)), (7, (1, 5, 7)), (8, (5, 7))])
def test_sdpa_boolean_mask_true_means_keep(solution, seed, mask_shape):
    g = torch.Generator().manual_seed(seed)
    q, k, v = rand(g, 2, 5, 4), rand(g, 2, 7, 4), rand(g, 2, 7, 3)
    mask = random_keep_mask(g, mask_shape)
    out = solution.scaled_dot_product_attention(q, k, v, mask=mask)
    assert_close(out, ref_sdpa(q, k, v, mask=mask), rtol=1e-9, atol=1e-10,
                 name=f"output with a bool mask of shape {mask_shape} (True = keep)",
                 mistakes={"mask inverted (True treated as 'masked out')": ref_sdpa(q, k, v, mask=~mask),
                     **sdpa_mistakes(q, k, v, SDPA_ALL, mask=mask)})


def test_sdpa_masked_keys_have_no_influence(solution):
    g = torch.Generator().manual_seed(9)
    q, k, v = rand(g, 3, 4, 5), rand(g, 3, 6, 5), rand(g, 3, 6, 2)
    mask = torch.ones(3, 4, 6, dtype=torch.bool)
    mask[..., 4:] = False  # the last two keys are padding
    out1 = solution.scaled_dot_product_attention(q, k, v, mask=mask)
    k2, v2 = k.clone(), v.clone()
    k2[:, 4:] = 50.0
    v2[:, 4:] = 1e4
    out2 = solution.scaled_dot_product_attention(q, k2, v2, mask=mask)
    assert_close(out2, out1, rtol=1e-9, atol=1e-9,
                 name="output after changing k and v at masked (padding) keys — must not change",
                 mistakes=sdpa_mistakes(q, k2, v2, ["mask_filled_with_zero", "mask_after_softmax"], mask=mask))
    assert_close(out1, ref_sdpa(q, k, v, mask=mask), rtol=1e-9, atol=1e-10, name="output with padding mask",
                 mistakes=sdpa_mistakes(q, k, v, SDPA_ALL, mask=mask))


def test_sdpa_causal_first_query_attends_only_to_itself(solution):
    g = torch.Generator().manual_seed(10)
    q, k, v = rand(g, 2, 5, 4), rand(g, 2, 5, 4), rand(g, 2, 5, 3)
    out = solution.scaled_dot_product_attention(q, k, v, causal=True)
    if torch.isnan(out[:, 0]).any():
        raise AssertionError("causal output row 0 is NaN: query 0 has no key left, so the diagonal was masked; "
                             "query i must keep keys j <= i (tril with diagonal 0)")
    assert_close(out[:, 0], v[:, 0], rtol=1e-9, atol=1e-10, name="causal output of query 0 (must equal v[0])")
    assert_close(out, ref_sdpa(q, k, v, causal=True), rtol=1e-9, atol=1e-10, name="causal output",
                 mistakes=sdpa_mistakes(q, k, v, SDPA_ALL, causal=True))


def test_sdpa_causal_future_keys_have_no_influence(solution):
    g = torch.Generator().manual_seed(11)
    q, k, v = rand(g, 1, 3, 7, 4), rand(g, 1, 3, 7, 4), rand(g, 1, 3, 7, 4)
    out1 = solution.scaled_dot_product_attention(q, k, v, causal=True)
    k2, v2 = k.clone(), v.clone()
    k2[..., 4:, :] += 10
    v2[..., 4:, :] += 100
    out2 = solution.scaled_dot_product_attention(q, k2, v2, causal=True)
    assert_close(out2[..., :4, :], out1[..., :4, :], rtol=1e-9, atol=1e-9,
                 name="causal outputs of queries 0..3 after changing keys/values 4..6 (must not change)")


def test_sdpa_causal_combined_with_mask(solution):
    g = torch.Generator().manual_seed(12)
    q, k, v = rand(g, 2, 6, 4), rand(g, 2, 6, 4), rand(g, 2, 6, 4)
    mask = random_keep_mask(g, (2, 1, 6))
    out = solution.scaled_dot_product_attention(q, k, v, mask=mask, causal=True)
    assert_close(out, ref_sdpa(q, k, v, mask=mask, causal=True), rtol=1e-9, atol=1e-10,
                 name="output with causal=True AND a padding mask (both apply)",
                 mistakes=sdpa_mistakes(q, k, v, [*SDPA_ALL, "mask_ignored_with_causal", "causal_ignored_with_mask"],
                                        mask=mask, causal=True))


def test_sdpa_gradients_match_reference(solution):
    g = torch.Generator().manual_seed(13)
    base = [rand(g, 2, 5, 4), rand(g, 2, 6, 4), rand(g, 2, 6, 3)]
    mask = random_keep_mask(g, (2, 5, 6))
    assert_same_gradients(lambda *t: solution.scaled_dot_product_attention(*t, mask=mask),
                          lambda *t: ref_sdpa(*t, mask=mask), base, rand(g, 2, 5, 3), "qkv", rtol=1e-8, atol=1e-10)


def test_sdpa_keeps_float32(solution):
    g = torch.Generator().manual_seed(14)
    q, k, v = (rand(g, 2, 3, 4, 8, dtype=torch.float32) for _ in range(3))
    out = solution.scaled_dot_product_attention(q, k, v, causal=True)
    assert_close(out, ref_sdpa(q, k, v, causal=True), rtol=1e-5, atol=1e-5, dtype="float32",
                 name="float32 causal output")


# --- multi-head attention -------------------------------------------------------------------------

def set_weights(mha, d_model, seed, bias=True):
    g = torch.Generator().manual_seed(seed)
    ws = {}
    with torch.no_grad():
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            lin = getattr(mha, name)
            assert isinstance(lin, torch.nn.Linear), f"{name} must be an nn.Linear, got {type(lin).__name__}"
            assert tuple(lin.weight.shape) == (d_model, d_model), \
                f"{name}.weight has shape {tuple(lin.weight.shape)}, expected {(d_model, d_model)}"
            W = torch.randn(d_model, d_model, generator=g, dtype=F64) / math.sqrt(d_model)
            b = torch.randn(d_model, generator=g, dtype=F64) * 0.1 if bias else None
            lin.weight.copy_(W.to(lin.weight.dtype))
            if bias:
                assert lin.bias is not None, f"{name} must have a bias when bias=True"
                lin.bias.copy_(b.to(lin.bias.dtype))
            ws[name] = (W, b)
    return ws


def ref_mha(ws, x, n_heads, context=None, mask=None, causal=False, mistake=None):
    """Per-head loop: head h = feature slice [h*dh, (h+1)*dh)."""
    x = x.double()
    c = x if context is None else context.double()

    def lin(name, t):
        W, b = ws[name]
        return t @ W.T + (b if b is not None else 0)

    q, k, v = lin("q_proj", x), lin("k_proj", c), lin("v_proj", c)
    B, lq, dm = q.shape
    lk = k.shape[1]
    dh = dm // n_heads
    if mistake == "heads_without_transpose":
        qh, kh, vh = (t.reshape(B, n_heads, t.shape[1], dh) for t in (q, k, v))
        sub = None
    else:
        qh = torch.stack([q[..., h * dh:(h + 1) * dh] for h in range(n_heads)], 1)
        kh = torch.stack([k[..., h * dh:(h + 1) * dh] for h in range(n_heads)], 1)
        vh = torch.stack([v[..., h * dh:(h + 1) * dh] for h in range(n_heads)], 1)
        sub = mistake
    scale = 1 / math.sqrt(dm) if mistake == "scale_by_d_model" else None
    m = None if mask is None else mask.expand(B, n_heads, lq, lk)
    o = ref_sdpa(qh, kh, vh, mask=m, causal=causal, scale=scale,
                 mistake=sub if sub != "scale_by_d_model" else None)
    if mistake == "heads_without_transpose":
        o = o.reshape(B, lq, dm)
    else:
        o = torch.cat([o[:, h] for h in range(n_heads)], -1)
    return lin("o_proj", o)


MHA_ALL = ["scale_by_d_model", "heads_without_transpose", "softmax_over_queries", "mask_filled_with_zero", "mask_after_softmax", "causal_excludes_diagonal"]


def mha_mistakes(ws, x, n_heads, labels=MHA_ALL, **kw):
    return {LABELS[m]: ref_mha(ws, x, n_heads, mistake=m, **kw) for m in labels}


def test_mha_has_four_projections_and_rejects_bad_heads(solution):
    mha = solution.MultiHeadAttention(12, 3)
    for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
        lin = getattr(mha, name, None)
        assert isinstance(lin, torch.nn.Linear), f"MultiHeadAttention.{name} must be an nn.Linear"
        assert (lin.in_features, lin.out_features) == (12, 12), \
            f"{name} is Linear({lin.in_features}, {lin.out_features}), expected Linear(12, 12)"
    n = sum(p.numel() for p in mha.parameters())
    assert n == 4 * (12 * 12 + 12), f"{n} parameters, expected 4·(12·12+12) = {4 * (12 * 12 + 12)}"
    expect_value_error(lambda: solution.MultiHeadAttention(10, 3), "MultiHeadAttention(d_model=10, n_heads=3)")


@pytest.mark.parametrize("d_model,n_heads,B,L,seed", [
    (12, 3, 2, 5, 0), (16, 4, 1, 7, 1), (8, 1, 3, 4, 2), (10, 5, 2, 6, 3), (6, 6, 1, 3, 4),
])
def test_mha_self_attention_matches_reference(solution, d_model, n_heads, B, L, seed):
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, seed)
    x = torch.randn(B, L, d_model, generator=torch.Generator().manual_seed(100 + seed), dtype=F64)
    out = mha(x)
    assert_close(out, ref_mha(ws, x, n_heads), rtol=1e-8, atol=1e-10,
                 name=f"MHA(d_model={d_model}, n_heads={n_heads}) output", mistakes=mha_mistakes(ws, x, n_heads))


def test_mha_head_split_uses_contiguous_feature_slices(solution):
    # Head h must read features [h*d_head, (h+1)*d_head) at EVERY position: view(B, L, H, dh).transpose(1, 2).
    d_model, n_heads = 8, 2
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, 20)
    x = torch.randn(2, 6, d_model, generator=torch.Generator().manual_seed(21), dtype=F64)
    assert_close(mha(x), ref_mha(ws, x, n_heads), rtol=1e-8, atol=1e-10, name="MHA output (head split)",
                 mistakes=mha_mistakes(ws, x, n_heads, ["heads_without_transpose", "scale_by_d_model"]))


def test_mha_causal_and_padding_mask(solution):
    d_model, n_heads = 12, 4
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, 30)
    g = torch.Generator().manual_seed(31)
    x = torch.randn(3, 6, d_model, generator=g, dtype=F64)
    pad = torch.ones(3, 1, 1, 6, dtype=torch.bool)
    pad[1, ..., 4:] = False
    pad[2, ..., 2:] = False
    out = mha(x, mask=pad, causal=True)
    assert_close(out, ref_mha(ws, x, n_heads, mask=pad, causal=True), rtol=1e-8, atol=1e-10,
                 name="MHA output with causal=True and a (B,1,1,L) padding mask",
                 mistakes=mha_mistakes(ws, x, n_heads, mask=pad, causal=True))


@pytest.mark.parametrize("shape", [(2, 4, 6, 6), (1, 4, 6, 6), (6, 6)], ids=["per-batch-and-head", "per-head", "2-d"])
def test_mha_mask_of_any_broadcastable_shape(solution, shape):
    d_model, n_heads = 8, 4
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, 35)
    g = torch.Generator().manual_seed(36)
    x = torch.randn(2, 6, d_model, generator=g, dtype=F64)
    mask = random_keep_mask(g, shape)
    assert_close(mha(x, mask=mask), ref_mha(ws, x, n_heads, mask=mask), rtol=1e-8, atol=1e-10,
                 name=f"MHA output with a mask of shape {shape} (each head its own slice of the mask)",
                 mistakes={LABELS["mask_first_head_only"]: ref_mha(ws, x, n_heads, mask=mask.expand(2, 4, 6, 6)[:, :1]),
                           **mha_mistakes(ws, x, n_heads, mask=mask)})


def cross_setup(solution, d_model, n_heads, seed, b, lq, lk):
    """A float64 module with known weights, queries x (b, lq, d_model) and a context (b, lk, d_model)."""
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, seed)
    g = torch.Generator().manual_seed(seed + 1)
    x, ctx = torch.randn(b, lq, d_model, generator=g, dtype=F64), torch.randn(b, lk, d_model, generator=g, dtype=F64)
    return mha, ws, x, ctx


def test_mha_cross_attention_with_context_padding_mask(solution):
    n_heads = 3
    mha, ws, x, ctx = cross_setup(solution, 12, n_heads, 42, 2, 4, 7)
    pad = torch.ones(2, 1, 1, 7, dtype=torch.bool)
    pad[0, ..., 5:] = False
    pad[1, ..., 3:] = False
    assert_close(mha(x, context=ctx, mask=pad), ref_mha(ws, x, n_heads, context=ctx, mask=pad), rtol=1e-8, atol=1e-10,
                 name="cross-attention output with a (B,1,1,Lk) padding mask on the context",
                 mistakes={LABELS["mask_ignored_in_cross_attention"]: ref_mha(ws, x, n_heads, context=ctx),
                           **mha_mistakes(ws, x, n_heads, context=ctx, mask=pad)})


def test_mha_cross_attention_uses_context_for_keys_and_values(solution):
    d_model, n_heads = 12, 3
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, 40)
    g = torch.Generator().manual_seed(41)
    x = torch.randn(2, 4, d_model, generator=g, dtype=F64)
    ctx = torch.randn(2, 7, d_model, generator=g, dtype=F64)
    out = mha(x, context=ctx)
    assert_close(out, ref_mha(ws, x, n_heads, context=ctx), rtol=1e-8, atol=1e-10,
                 name="cross-attention output (queries from x, keys/values from context)",
                 mistakes=mha_mistakes(ws, x, n_heads, context=ctx))


def test_mha_gradients_reach_all_weights(solution):
    d_model, n_heads = 8, 2
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, 50)
    g = torch.Generator().manual_seed(51)
    x = torch.randn(2, 5, d_model, generator=g, dtype=F64)
    w = torch.randn(2, 5, d_model, generator=g, dtype=F64)
    (mha(x, causal=True) * w).sum().backward()
    leaves = {n: (W.clone().requires_grad_(), b.clone().requires_grad_()) for n, (W, b) in ws.items()}
    (ref_mha(leaves, x, n_heads, causal=True) * w).sum().backward()
    for name, (W, b) in leaves.items():
        lin = getattr(mha, name)
        assert lin.weight.grad is not None, f"no gradient reached {name}.weight"
        assert_close(lin.weight.grad, W.grad, rtol=1e-7, atol=1e-10, name=f"d loss / d {name}.weight")
        assert_close(lin.bias.grad, b.grad, rtol=1e-7, atol=1e-10, name=f"d loss / d {name}.bias")


def test_mha_float32_without_bias(solution):
    d_model, n_heads = 16, 4
    mha = solution.MultiHeadAttention(d_model, n_heads, bias=False)
    assert all(getattr(mha, n).bias is None for n in ("q_proj", "k_proj", "v_proj", "o_proj")), \
        "bias=False must create the projections without bias"
    ws = set_weights(mha, d_model, 60, bias=False)
    x = torch.randn(2, 5, d_model, generator=torch.Generator().manual_seed(61))
    out = mha(x)
    assert_close(out, ref_mha(ws, x, n_heads), rtol=1e-4, atol=1e-5, dtype="float32", name="float32 MHA output")


# --- the weakness classes: unequal lengths, extreme scores, layouts, degenerate sizes -----------------------

@pytest.mark.parametrize("lq,lk,seed", [(3, 7, 70), (2, 5, 71), (6, 4, 72), (1, 6, 73)])
def test_sdpa_causal_is_top_left_aligned_when_lengths_differ(solution, lq, lk, seed):
    # The prompt fixes the convention: query i sees keys j <= i, whatever Lk is (not the bottom-right
    # alignment of a KV-cache decode step, where the last query sees every key).
    g = torch.Generator().manual_seed(seed)
    q, k, v = rand(g, 2, lq, 4), rand(g, 2, lk, 4), rand(g, 2, lk, 3)
    out = solution.scaled_dot_product_attention(q, k, v, causal=True)
    assert_close(out, ref_sdpa(q, k, v, causal=True), rtol=1e-9, atol=1e-10,
                 name=f"causal output with Lq={lq}, Lk={lk} (query i keeps keys j <= i)",
                 mistakes=sdpa_mistakes(q, k, v, ["causal_bottom_right", "causal_excludes_diagonal"], causal=True))


@pytest.mark.parametrize("magnitude", [60.0, 400.0])
def test_sdpa_survives_large_scores(solution, magnitude):
    # Scores of several hundred overflow exp() in float32: a softmax must subtract the row maximum first.
    g = torch.Generator().manual_seed(74)
    q = rand(g, 2, 5, 8, dtype=torch.float32) * magnitude
    k, v = rand(g, 2, 6, 8, dtype=torch.float32), rand(g, 2, 6, 3, dtype=torch.float32)
    out = solution.scaled_dot_product_attention(q, k, v)
    assert torch.isfinite(out).all(), (f"output has inf/NaN for scores up to ~{magnitude * 3:.0f}: exp() overflowed "
                                       "(subtract each row's maximum before exponentiating, as torch.softmax does)")
    assert_close(out, ref_sdpa(q, k, v), rtol=1e-4, atol=1e-4, name=f"output for large scores (|q| ~ {magnitude:g})")


def test_sdpa_accepts_non_contiguous_views(solution):
    g = torch.Generator().manual_seed(75)
    q = rand(g, 5, 2, 4).transpose(0, 1)            # (2, 5, 4), not contiguous
    k = rand(g, 2, 4, 6).transpose(-1, -2)          # (2, 6, 4)
    v = rand(g, 2, 6, 6)[..., ::2]                  # (2, 6, 3), strided
    mask = random_keep_mask(g, (5, 2, 6)).transpose(0, 1)
    out = solution.scaled_dot_product_attention(q, k, v, mask=mask)
    assert_close(out, ref_sdpa(q, k, v, mask=mask), rtol=1e-9, atol=1e-10,
                 name="output for transposed / strided q, k, v and mask")


def test_sdpa_single_query_single_key_and_d_of_one(solution):
    g = torch.Generator().manual_seed(76)
    q, k, v = rand(g, 1, 1, 1), rand(g, 1, 1, 1), rand(g, 1, 1, 2)
    assert_close(solution.scaled_dot_product_attention(q, k, v, causal=True), v, rtol=1e-12, atol=1e-12,
                 name="Lq = Lk = d = 1 (one key: its weight is 1, the output is v)")
    q, k, v = rand(g, 3, 4, 1), rand(g, 3, 5, 1), rand(g, 3, 5, 2)
    assert_close(solution.scaled_dot_product_attention(q, k, v), ref_sdpa(q, k, v), rtol=1e-9, atol=1e-10,
                 name="d = 1", mistakes=sdpa_mistakes(q, k, v, ["no_scale", "softmax_over_queries"]))


def test_mha_cross_attention_with_causal_and_unequal_lengths(solution):
    n_heads = 2
    mha, ws, x, ctx = cross_setup(solution, 8, n_heads, 80, 1, 3, 5)
    out = mha(x, context=ctx, causal=True)
    assert_close(out, ref_mha(ws, x, n_heads, context=ctx, causal=True), rtol=1e-8, atol=1e-10,
                 name="MHA cross-attention with causal=True, Lq=3, Lk=5 (top-left aligned)",
                 mistakes=mha_mistakes(ws, x, n_heads, ["causal_bottom_right"], context=ctx, causal=True))


def test_variant_multi_head_attention(solution, variant):
    # A review may ask cross-attention (keys and values from a context of another length) or causal
    # self-attention; the core run: plain self-attention.
    d_model, n_heads = 12, variant.get("n_heads", 3)
    mha = solution.MultiHeadAttention(d_model, n_heads).double()
    ws = set_weights(mha, d_model, 50)
    g = torch.Generator().manual_seed(51)
    x = torch.randn(2, 5, d_model, generator=g, dtype=F64)
    length = variant.get("context_len")
    kw = {"context": torch.randn(2, length, d_model, generator=g, dtype=F64)} if length else {}
    if variant.get("causal"):
        kw["causal"] = True
    assert_close(mha(x, **kw), ref_mha(ws, x, n_heads, **kw), rtol=1e-8, atol=1e-10,
                 name=f"MultiHeadAttention(d_model={d_model}, n_heads={n_heads}) output, {sorted(kw) or 'self'}",
                 mistakes=mha_mistakes(ws, x, n_heads, **kw))
