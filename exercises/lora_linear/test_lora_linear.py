"""Hidden suite for lora_linear: a LoRA layer against a float64 closed form written here, init, freezing, merging."""

import math

import pytest
import torch
from torch import nn

from quizcli.testing import assert_close, expect_value_error, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


def rand(seed, *shape, scale=1.0):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def base_linear(seed, d_in, d_out, bias=True):
    lin = nn.Linear(d_in, d_out, bias=bias).double()
    with torch.no_grad():
        lin.weight.copy_(rand(seed, d_out, d_in) / math.sqrt(d_in))
        if bias:
            lin.bias.copy_(rand(seed + 1, d_out) * 0.1)
    return lin


def ref_out(W, b, A, B, x, scaling):
    y = x @ W.T + (0 if b is None else b)
    return y + scaling * (x @ A.T @ B.T)


def make(solution, seed, d_in=6, d_out=5, r=3, alpha=6.0, bias=True):
    """A LoRALinear around a known base, with A and B set to known non-zero values."""
    base = base_linear(seed, d_in, d_out, bias)
    W, b = base.weight.detach().clone(), None if base.bias is None else base.bias.detach().clone()
    layer = solution.LoRALinear(base, r=r, alpha=alpha)
    A, B = rand(seed + 2, r, d_in), rand(seed + 3, d_out, r)
    for name, value in (("lora_A", A), ("lora_B", B)):
        p = getattr(layer, name, None)
        assert isinstance(p, nn.Parameter), f"layer.{name} must be an nn.Parameter"
        assert tuple(p.shape) == tuple(value.shape), f"layer.{name} has shape {tuple(p.shape)}, expected {tuple(value.shape)}"
        with torch.no_grad():
            p.copy_(value)
    return layer, W, b, A, B


def scale_mistake(W, b, A, B, x, alpha):
    return {LABELS["scale_alpha"]: lambda: ref_out(W, b, A, B, x, alpha)}


# --- construction ---------------------------------------------------------------------------------

def test_a_new_layer_starts_as_the_pretrained_one(solution):
    base = base_linear(0, 7, 4)
    x = rand(1, 3, 7)
    before = base(x).detach()
    layer = solution.LoRALinear(base, r=2, alpha=4)
    assert layer.base is base, "LoRALinear must keep the given nn.Linear as self.base"
    assert tuple(layer.lora_A.shape) == (2, 7) and tuple(layer.lora_B.shape) == (4, 2), (
        f"lora_A {tuple(layer.lora_A.shape)}, lora_B {tuple(layer.lora_B.shape)}; expected (r, in) = (2, 7) and "
        "(out, r) = (4, 2)")
    assert torch.count_nonzero(layer.lora_B) == 0, \
        "lora_B is not all zeros at init" + f"\n  this looks like a known mistake: {LABELS['b_random_init']}"
    assert torch.count_nonzero(layer.lora_A) == layer.lora_A.numel(), (
        "lora_A must start random (non-zero): with A = B = 0 no gradient ever reaches either"
        + (f"\n  this looks like a known mistake: {LABELS['a_zero_init']}" if not layer.lora_A.any() else ""))
    assert layer.lora_A.dtype == base.weight.dtype, \
        f"lora_A is {layer.lora_A.dtype}; create A and B with the base weight's dtype ({base.weight.dtype})"
    assert_close(layer(x), before, rtol=0, atol=1e-12, name="output of a freshly wrapped layer (must equal base(x))")


def test_only_the_adapter_is_trainable(solution):
    base = base_linear(2, 6, 5)
    layer = solution.LoRALinear(base, r=4, alpha=8)
    trainable = sorted(n for n, p in layer.named_parameters() if p.requires_grad)
    assert trainable == ["lora_A", "lora_B"], (
        f"trainable parameters {trainable}; expected only ['lora_A', 'lora_B'] (the base weight and bias are frozen)"
        + (f"\n  this looks like a known mistake: {LABELS['base_trainable']}" if "base.weight" in trainable else ""))
    n = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    assert n == 4 * (6 + 5), f"{n} trainable numbers, expected r·(in + out) = {4 * 11}"


@pytest.mark.parametrize("r", [0, -1])
def test_rank_below_one_is_rejected(solution, r):
    expect_value_error(lambda: solution.LoRALinear(base_linear(3, 4, 4), r=r, alpha=1), f"LoRALinear with r={r}")


# --- forward and backward -------------------------------------------------------------------------

@pytest.mark.parametrize("d_in,d_out,r,alpha,bias,shape,seed", [
    (6, 5, 3, 6.0, True, (4,), 10),
    (8, 8, 2, 16.0, False, (2, 3), 11),
    (5, 9, 1, 1.0, True, (1, 1, 2), 12),
    (4, 3, 4, 32.0, True, (7,), 13),
])
def test_forward_matches_closed_form(solution, d_in, d_out, r, alpha, bias, shape, seed):
    layer, W, b, A, B = make(solution, seed, d_in, d_out, r, alpha, bias)
    x = rand(seed + 5, *shape, d_in)
    assert_close(layer(x), ref_out(W, b, A, B, x, alpha / r), rtol=1e-10, atol=1e-12,
                 name=f"LoRALinear({d_in}→{d_out}, r={r}, alpha={alpha:g}, bias={bias}) on {shape + (d_in,)}",
                 mistakes=scale_mistake(W, b, A, B, x, alpha))


def test_defaults_are_rank_8_alpha_16(solution):
    base = base_linear(20, 12, 10)
    W, b = base.weight.detach().clone(), base.bias.detach().clone()
    layer = solution.LoRALinear(base)
    A, B = rand(21, 8, 12), rand(22, 10, 8)
    with torch.no_grad():
        layer.lora_A.copy_(A)
        layer.lora_B.copy_(B)
    x = rand(23, 3, 12)
    assert_close(layer(x), ref_out(W, b, A, B, x, 2.0), rtol=1e-10, atol=1e-12,
                 name="LoRALinear(base) with the defaults r=8, alpha=16 (scaling 2)",
                 mistakes=scale_mistake(W, b, A, B, x, 16.0))


def test_gradients_reach_the_adapter_only(solution):
    layer, W, b, A, B = make(solution, 30, 6, 4, 2, 4.0)
    x, w = rand(35, 5, 6), rand(36, 5, 4)
    (layer(x) * w).sum().backward()
    assert layer.base.weight.grad is None, "base.weight received a gradient: freeze it (requires_grad_(False))" + \
        f"\n  this looks like a known mistake: {LABELS['base_trainable']}"
    Ar, Br = A.clone().requires_grad_(), B.clone().requires_grad_()
    (ref_out(W, b, Ar, Br, x, 2.0) * w).sum().backward()
    assert layer.lora_A.grad is not None and layer.lora_B.grad is not None, "no gradient reached lora_A / lora_B"
    assert_close(layer.lora_A.grad, Ar.grad, rtol=1e-9, atol=1e-12, name="d loss / d lora_A")
    assert_close(layer.lora_B.grad, Br.grad, rtol=1e-9, atol=1e-12, name="d loss / d lora_B")


def test_at_init_only_b_gets_a_gradient(solution):
    layer = solution.LoRALinear(base_linear(40, 6, 4), r=3, alpha=3)
    x = rand(41, 5, 6)
    layer(x).pow(2).sum().backward()
    assert layer.lora_B.grad is not None and layer.lora_B.grad.abs().max() > 0, (
        "at init lora_B got a zero gradient: A must start random so that B can learn"
        + f"\n  this looks like a known mistake: {LABELS['a_zero_init']}")
    assert layer.lora_A.grad is None or torch.count_nonzero(layer.lora_A.grad) == 0, \
        "at init lora_A got a non-zero gradient, which means B is not zero"


# --- merge and unmerge ----------------------------------------------------------------------------

def test_merge_folds_the_update_into_the_base_weight_in_place(solution):
    layer, W, b, A, B = make(solution, 50, 6, 5, 3, 6.0)
    x = rand(55, 4, 6)
    before = layer(x).detach()
    weight, ptr = layer.base.weight, layer.base.weight.data_ptr()
    layer.merge()
    assert layer.base.weight is weight and layer.base.weight.data_ptr() == ptr, (
        "merge() must update base.weight in place (the same Parameter, the same storage)"
        + f"\n  this looks like a known mistake: {LABELS['merge_replaces_parameter']}")
    assert_close(layer.base.weight, W + 2.0 * B @ A, rtol=1e-10, atol=1e-12,
                 name="base.weight after merge() (W + (alpha/r)·B·A)",
                 mistakes={LABELS["scale_alpha"]: lambda: W + 6.0 * B @ A})
    assert_close(layer(x), before, rtol=1e-10, atol=1e-12, name="output after merge() (must not change)",
                 mistakes={LABELS["merged_still_adds"]: lambda: before + 2.0 * x @ A.T @ B.T})


def test_merge_on_a_square_layer(solution):
    layer, W, b, A, B = make(solution, 60, 5, 5, 2, 4.0)
    layer.merge()
    assert_close(layer.base.weight, W + 2.0 * B @ A, rtol=1e-10, atol=1e-12,
                 name="base.weight after merge() on a 5×5 layer",
                 mistakes={LABELS["merge_transposed"]: lambda: W + 2.0 * (B @ A).T})


def test_merge_twice_changes_nothing_more(solution):
    layer, W, b, A, B = make(solution, 70, 4, 6, 2, 2.0)
    x = rand(75, 3, 4)
    want = ref_out(W, b, A, B, x, 1.0)
    layer.merge()
    layer.merge()
    assert_close(layer.base.weight, W + B @ A, rtol=1e-10, atol=1e-12, name="base.weight after merge() twice",
                 mistakes={LABELS["merge_twice"]: lambda: W + 2 * B @ A})
    assert_close(layer(x), want, rtol=1e-10, atol=1e-12, name="output after merge() twice")


def test_unmerge_restores_the_pretrained_weight(solution):
    layer, W, b, A, B = make(solution, 80, 6, 5, 3, 3.0)
    x = rand(85, 2, 6)
    want = ref_out(W, b, A, B, x, 1.0)
    layer.merge()
    layer.unmerge()
    assert_close(layer.base.weight, W, rtol=1e-10, atol=1e-12, name="base.weight after merge() then unmerge()",
                 mistakes={LABELS["unmerge_keeps_update"]: lambda: W + B @ A})
    assert_close(layer(x), want, rtol=1e-10, atol=1e-12, name="output after merge() then unmerge()",
                 mistakes={LABELS["unmerge_keeps_update"]: lambda: want + x @ A.T @ B.T})
    layer.unmerge()
    assert_close(layer.base.weight, W, rtol=1e-10, atol=1e-12, name="base.weight after a second unmerge()")


def test_training_after_unmerge_still_works(solution):
    layer, W, b, A, B = make(solution, 90, 4, 4, 2, 2.0)
    layer.merge()
    layer.unmerge()
    x = rand(95, 3, 4)
    layer(x).sum().backward()
    assert layer.base.weight.grad is None, "base.weight received a gradient after merge/unmerge: keep it frozen"
    assert layer.lora_B.grad is not None, "lora_B gets no gradient after merge/unmerge"


def test_variant_task(solution, variant):
    # A review may ask another rank and alpha; the core run: r = 4, alpha = 8.
    r, alpha = variant.get("r", 4), variant.get("alpha", 8.0)
    layer, W, b, A, B = make(solution, 100, 10, 7, r, alpha)
    x = rand(105, 3, 10)
    assert_close(layer(x), ref_out(W, b, A, B, x, alpha / r), rtol=1e-10, atol=1e-12,
                 name=f"LoRALinear(r={r}, alpha={alpha:g})", mistakes=scale_mistake(W, b, A, B, x, alpha))
    layer.merge()
    assert_close(layer.base.weight, W + alpha / r * B @ A, rtol=1e-10, atol=1e-12,
                 name=f"base.weight after merge() (r={r}, alpha={alpha:g})")
