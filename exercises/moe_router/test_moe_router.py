"""Hidden suite for moe_router: routing and the Switch auxiliary loss against a float64 numpy reference written here."""

import math

import numpy as np
import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)
ROUTE_MISTAKES = ["softmax_after_topk", "not_renormalized", "capacity_per_batch", "token_order_priority",
                  "dropped_gate_kept"]
LOSS_MISTAKES = ["aux_without_e", "aux_fraction_of_tokens"]


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ref_route(logits, k=2, capacity_factor=None, renormalize=True, mistake=None):
    z = logits.double().numpy()
    T, E = z.shape
    p = softmax(z)
    idx = np.argsort(-p, axis=-1, kind="stable")[:, :k]
    if mistake == "softmax_after_topk":
        gates = softmax(np.take_along_axis(z, idx, -1))
    else:
        gates = np.take_along_axis(p, idx, -1)
        if renormalize and mistake != "not_renormalized":
            gates = gates / gates.sum(-1, keepdims=True)
    keep = np.ones((T, k), dtype=bool)
    if capacity_factor is not None:
        cap = math.ceil(capacity_factor * T * k / (1 if mistake == "capacity_per_batch" else E))
        used = np.zeros(E, dtype=int)
        order = ([(t, j) for t in range(T) for j in range(k)] if mistake == "token_order_priority"
                 else [(t, j) for j in range(k) for t in range(T)])
        for t, j in order:
            e = idx[t, j]
            keep[t, j] = used[e] < cap
            used[e] += keep[t, j]
    if mistake != "dropped_gate_kept":
        gates = gates * keep
    return torch.from_numpy(idx), torch.from_numpy(gates), torch.from_numpy(keep)


def ref_loss(logits, expert_idx, mistake=None):
    """Differentiable in logits (a torch expression of the float64 probabilities)."""
    T, E = logits.shape
    k = expert_idx.shape[1]
    counts = torch.from_numpy(np.bincount(expert_idx.numpy().ravel(), minlength=E)).double()
    f = counts / (T if mistake == "aux_fraction_of_tokens" else T * k)
    P = torch.softmax(logits.double(), -1).mean(0)
    return (1 if mistake == "aux_without_e" else E) * (f * P).sum()


def logits_of(seed, T, E, scale=1.5):
    return scale * torch.randn(T, E, generator=torch.Generator().manual_seed(seed), dtype=F64)


def check_route(solution, logits, what, **kw):
    got = solution.route(logits, **kw)
    assert isinstance(got, tuple) and len(got) == 3, "route must return (expert_idx, gates, keep)"
    idx, gates, keep = got
    want_idx, want_gates, want_keep = ref_route(logits, **kw)
    assert idx.dtype == torch.int64 and torch.equal(idx, want_idx), (
        f"{what}: expert ids differ from the top-k experts by probability, best first (first rows: got "
        f"{idx[:2].tolist()}, expected {want_idx[:2].tolist()})")
    wrong = {LABELS[m]: (lambda m=m: ref_route(logits, mistake=m, **kw)[2]) for m in ROUTE_MISTAKES}
    assert_close(keep.to(torch.int64), want_keep.to(torch.int64), rtol=0, atol=0, name=f"{what}: keep mask",
                 mistakes={label: (lambda fn=fn: fn().to(torch.int64)) for label, fn in wrong.items()})
    # the keep mask passed, so a mistake that also changes it is not the one: dropped_gate_kept is tried first
    gate_mistakes = ["dropped_gate_kept"] + [m for m in ROUTE_MISTAKES if m != "dropped_gate_kept"]
    assert_close(gates, want_gates, rtol=1e-9, atol=1e-12, name=f"{what}: gates",
                 mistakes={LABELS[m]: (lambda m=m: ref_route(logits, mistake=m, **kw)[1]) for m in gate_mistakes})


# --- routing --------------------------------------------------------------------------------------

@pytest.mark.parametrize("T,E,k,renormalize,seed", [
    (8, 4, 2, True, 0), (10, 8, 2, False, 1), (6, 5, 1, False, 2), (12, 6, 3, True, 3), (5, 4, 4, False, 4),
])
def test_route_without_capacity(solution, T, E, k, renormalize, seed):
    check_route(solution, logits_of(seed, T, E), f"route(T={T}, E={E}, k={k}, renormalize={renormalize})",
                k=k, renormalize=renormalize)


def test_route_defaults(solution):
    logits = logits_of(5, 9, 6)
    check_route(solution, logits, "route(logits) with the defaults (k=2, no capacity, renormalize=True)")


@pytest.mark.parametrize("T,E,k,cf,renormalize,seed", [
    (16, 4, 1, 1.0, False, 10), (16, 4, 2, 1.0, True, 11), (12, 3, 2, 0.5, True, 12), (20, 5, 2, 1.25, False, 13),
    (9, 4, 2, 2.0, True, 14),
])
def test_route_with_capacity(solution, T, E, k, cf, renormalize, seed):
    # skewed logits so that some experts overflow
    logits = logits_of(seed, T, E) + torch.linspace(2.0, 0.0, E, dtype=F64)
    check_route(solution, logits, f"route(T={T}, E={E}, k={k}, capacity_factor={cf}, renormalize={renormalize})",
                k=k, capacity_factor=cf, renormalize=renormalize)


def test_capacity_is_per_expert_and_first_choices_come_first(solution):
    # 4 tokens, 2 experts, top-2, capacity_factor 0.5 -> capacity ceil(0.5·4·2/2) = 2 per expert.
    # Tokens 0..2 prefer expert 0, token 3 prefers expert 1: expert 0 serves tokens 0 and 1 (first choices),
    # expert 1 serves token 3's first choice and then token 0's second choice.
    logits = torch.tensor([[2.0, 0.0], [2.0, 0.0], [2.0, 0.0], [0.0, 2.0]], dtype=F64)
    _, _, keep = solution.route(logits, k=2, capacity_factor=0.5)
    want = torch.tensor([[True, True], [True, False], [False, False], [True, False]])
    assert torch.equal(keep.bool(), want), (
        f"keep = {keep.bool().int().tolist()}, expected {want.int().tolist()} (capacity 2 per expert, all first "
        "choices before any second choice, in token order)"
        + next((f"\n  this looks like a known mistake: {LABELS[m]}" for m in ROUTE_MISTAKES
                if torch.equal(keep.bool(), ref_route(logits, 2, 0.5, mistake=m)[2])), ""))


def test_route_rejects_k_larger_than_the_experts(solution):
    expect_value_error(lambda: solution.route(logits_of(6, 4, 3), k=4), "route with k=4 over 3 experts")


def test_route_with_extreme_logits(solution):
    logits = torch.tensor([[1e4, -1e4, 0.0, 9999.0], [-1e4, 40.0, -9000.0, 50.0]], dtype=F64)
    _, gates, _ = solution.route(logits, k=2, renormalize=False)
    assert torch.isfinite(gates).all(), "gates are inf/NaN for logits of ±1e4: use a stable softmax"
    check_route(solution, logits, "route on logits of ±1e4", k=2, renormalize=False)


def test_a_single_expert_takes_everything(solution):
    logits = logits_of(7, 5, 1)
    idx, gates, keep = solution.route(logits, k=1, renormalize=False)
    assert torch.equal(idx, torch.zeros(5, 1, dtype=torch.int64)) and bool(keep.all()), \
        "with one expert every token must go to expert 0 and be kept"
    assert_close(gates, torch.ones(5, 1, dtype=F64), rtol=1e-12, atol=1e-12, name="gates with one expert (all 1)")


@pytest.mark.parametrize("renormalize", [True, False])
def test_gates_are_differentiable(solution, renormalize):
    # the router learns through the gates that weight the experts' outputs
    logits0, w = logits_of(8, 10, 4), logits_of(9, 10, 2)
    got = logits0.clone().requires_grad_()
    (solution.route(got, k=2, capacity_factor=1.0, renormalize=renormalize)[1] * w).sum().backward()
    ref = logits0.clone().requires_grad_()
    probs = torch.softmax(ref, -1)
    idx, _, keep = ref_route(logits0, k=2, capacity_factor=1.0, renormalize=renormalize)
    gates = probs.gather(1, idx)
    gates = gates / gates.sum(-1, keepdim=True) if renormalize else gates
    (gates * keep * w).sum().backward()
    assert got.grad is not None, "no gradient reached the logits through the gates"
    assert_close(got.grad, ref.grad, rtol=1e-9, atol=1e-12, name=f"d (gates·w) / d logits (renormalize={renormalize})")


# --- auxiliary loss -------------------------------------------------------------------------------

@pytest.mark.parametrize("T,E,k,seed", [(16, 4, 1, 20), (12, 6, 2, 21), (9, 3, 3, 22), (1, 4, 2, 23)])
def test_load_balancing_loss_matches_reference(solution, T, E, k, seed):
    logits = logits_of(seed, T, E)
    idx = ref_route(logits, k=k)[0]
    got = solution.load_balancing_loss(logits, idx)
    assert_close(got, ref_loss(logits, idx), rtol=1e-9, atol=1e-12, name=f"load_balancing_loss (T={T}, E={E}, k={k})",
                 mistakes={LABELS[m]: (lambda m=m: ref_loss(logits, idx, m)) for m in LOSS_MISTAKES})


def test_perfect_balance_gives_one(solution):
    # uniform probabilities and every expert chosen equally often: f_i = P_i = 1/E, loss = E · E · 1/E² = 1
    logits = torch.zeros(8, 4, dtype=F64)
    idx = torch.tensor([[0, 1], [2, 3]] * 4)
    assert_close(solution.load_balancing_loss(logits, idx), torch.tensor(1.0, dtype=F64), rtol=1e-12, atol=1e-12,
                 name="auxiliary loss at perfect balance (must be 1 for any k)",
                 mistakes={LABELS[m]: (lambda m=m: ref_loss(logits, idx, m)) for m in LOSS_MISTAKES})


def test_load_balancing_loss_gradient(solution):
    logits0 = logits_of(24, 10, 5)
    idx = ref_route(logits0, k=2)[0]
    got = logits0.clone().requires_grad_()
    loss = solution.load_balancing_loss(got, idx)
    if loss.requires_grad:
        loss.backward()
    ref = logits0.clone().requires_grad_()
    ref_loss(ref, idx).backward()
    assert got.grad is not None and bool(got.grad.abs().max() > 0), (
        "the auxiliary loss has no gradient with respect to the logits: P_i (the mean router probability) must "
        f"carry it\n  this looks like a known mistake: {LABELS['aux_detached']}")
    assert_close(got.grad, ref.grad, rtol=1e-9, atol=1e-12, name="d aux loss / d logits")


def test_float32_routing_and_loss(solution):
    logits = logits_of(25, 12, 4).float()
    idx, gates, _ = solution.route(logits, k=2, capacity_factor=1.0)
    want_idx, want_gates, _ = ref_route(logits, k=2, capacity_factor=1.0)
    assert torch.equal(idx, want_idx), "float32 logits: expert ids differ from the top-2 by probability"
    assert_close(gates, want_gates, rtol=1e-5, atol=1e-6, name="float32 gates")
    assert_close(solution.load_balancing_loss(logits, idx), ref_loss(logits, idx), rtol=1e-5, atol=1e-6,
                 name="float32 auxiliary loss")


def test_variant_task(solution, variant):
    # A review may ask Switch top-1 routing or tighter capacity; the core run: top-2 at capacity factor 1.
    k, cf = variant.get("k", 2), variant.get("capacity_factor", 1.0)
    renormalize = variant.get("renormalize", True)
    logits = logits_of(26, 16, 4) + torch.linspace(1.5, 0.0, 4, dtype=F64)
    check_route(solution, logits, f"route(k={k}, capacity_factor={cf}, renormalize={renormalize})", k=k,
                capacity_factor=cf, renormalize=renormalize)
    idx = ref_route(logits, k=k)[0]
    assert_close(solution.load_balancing_loss(logits, idx), ref_loss(logits, idx), rtol=1e-9, atol=1e-12,
                 name=f"load_balancing_loss (k={k})",
                 mistakes={LABELS[m]: (lambda m=m: ref_loss(logits, idx, m)) for m in LOSS_MISTAKES})
