"""Hidden suite for rmsnorm: RMSNorm against a float64 reference written here."""

import pytest
import torch

from quizcli.testing import assert_close, known_mistake, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)


def ref(x, weight=None, eps=1e-6, mistake=None):
    x = x.double()
    dim = {"wrong_dim": 0, "normalised_over_dim_minus_2": -2}.get(mistake, -1)
    if mistake == "subtracts_mean":
        x = x - x.mean(-1, keepdim=True)
    ms = (x * x).sum(dim, keepdim=True) if mistake == "sum_of_squares" else (x * x).mean(dim, keepdim=True)
    y = x / (ms.sqrt() + eps) if mistake == "eps_outside_sqrt" else x / (ms + eps).sqrt()
    if weight is not None and mistake != "weight_not_applied":
        y = y * weight.double()
    return y


def mistakes(x, labels=("subtracts_mean", "eps_outside_sqrt", "wrong_dim", "normalised_over_dim_minus_2", "sum_of_squares", "weight_not_applied"), **kw):
    out = {}
    for m in labels:
        if m in ("wrong_dim", "normalised_over_dim_minus_2") and x.dim() < 2:
            continue
        try:
            out[LABELS[m]] = ref(x, mistake=m, **kw)
        except (IndexError, RuntimeError):
            pass
    return out


def make(solution, dim, eps=1e-6, seed=None, dtype=torch.float32):
    norm = solution.RMSNorm(dim, eps=eps).to(dtype)
    if seed is None:
        return norm, None
    w = 0.5 + torch.rand(dim, generator=torch.Generator().manual_seed(seed), dtype=F64)
    with torch.no_grad():
        norm.weight.copy_(w)
    return norm, w


def test_weight_is_a_ones_parameter_of_shape_dim(solution):
    norm = solution.RMSNorm(7)
    assert isinstance(norm, torch.nn.Module), "RMSNorm must be an nn.Module"
    w = getattr(norm, "weight", None)
    assert isinstance(w, torch.nn.Parameter), "RMSNorm.weight must be an nn.Parameter"
    assert tuple(w.shape) == (7,), f"weight shape {tuple(w.shape)}, expected (7,)"
    assert bool((w == 1).all()), "weight must be initialised to ones"
    names = [n for n, _ in norm.named_parameters()]
    assert names == ["weight"], f"parameters {names}; expected only ['weight'] (RMSNorm has no bias)"


@pytest.mark.parametrize("shape,eps,seed", [
    ((4, 8), 1e-6, 0), ((2, 3, 7), 1e-5, 1), ((1, 16), 1e-6, 2), ((3, 5, 2, 4), 1e-3, 3), ((6, 1), 1e-6, 4), ((8,), 1e-6, 5),  # a single vector: (..., dim) with no batch
])
def test_matches_float64_reference(solution, shape, eps, seed):
    norm, w = make(solution, shape[-1], eps=eps, seed=seed, dtype=F64)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(100 + seed), dtype=F64)
    out = norm(x)
    assert_close(out, ref(x, w, eps), rtol=1e-10, atol=1e-12, dtype="float64",
                 name=f"RMSNorm({shape[-1]}, eps={eps}) on x{shape}", mistakes=mistakes(x, weight=w, eps=eps))


def test_does_not_subtract_the_mean(solution):
    # Rows with a large common offset: LayerNorm removes it, RMSNorm keeps it (output ≈ +1 everywhere).
    norm, _ = make(solution, 6, dtype=F64)
    g = torch.Generator().manual_seed(5)
    x = 10.0 + 0.5 * torch.randn(3, 6, generator=g, dtype=F64)
    assert_close(norm(x), ref(x), rtol=1e-10, atol=1e-12, name="RMSNorm of rows ≈ 10 + noise",
                 mistakes=mistakes(x, labels=("subtracts_mean", "sum_of_squares", "eps_outside_sqrt")))


def test_normalises_over_the_last_dimension_only(solution):
    norm, w = make(solution, 5, seed=6, dtype=F64)
    g = torch.Generator().manual_seed(7)
    row_scale = torch.tensor([0.1, 1.0, 10.0, 100.0], dtype=F64).view(4, 1, 1)
    x = torch.randn(4, 3, 5, generator=g, dtype=F64) * row_scale
    out = norm(x)
    assert_close(out, ref(x, w), rtol=1e-10, atol=1e-12, name="RMSNorm over rows of very different scales",
                 mistakes=mistakes(x, weight=w))
    rms = out.div(w).pow(2).mean(-1).sqrt()
    assert_close(rms, torch.ones_like(rms), rtol=1e-3, atol=1e-3,
                 name="root-mean-square of each output row (before the weight) — must be ≈ 1")


def test_mean_of_squares_not_sum(solution):
    # With the sum, the output would shrink by √dim.
    norm, _ = make(solution, 16, dtype=F64)
    x = torch.randn(2, 16, generator=torch.Generator().manual_seed(8), dtype=F64)
    assert_close(norm(x), ref(x), rtol=1e-10, atol=1e-12, name="RMSNorm(16) output",
                 mistakes=mistakes(x, labels=("sum_of_squares", "subtracts_mean")))


@pytest.mark.parametrize("scale,eps", [(1e-3, 1e-6), (0.05, 1e-2), (1e-5, 1e-9)])
def test_eps_is_inside_the_square_root(solution, scale, eps):
    # Small inputs: mean(x²) is comparable to eps, so √(ms + eps) and √ms + eps differ a lot.
    norm, _ = make(solution, 8, eps=eps, dtype=F64)
    x = scale * torch.randn(3, 8, generator=torch.Generator().manual_seed(9), dtype=F64)
    assert_close(norm(x), ref(x, eps=eps), rtol=1e-9, atol=1e-12,
                 name=f"RMSNorm(eps={eps}) of inputs of size ~{scale}",
                 mistakes=mistakes(x, eps=eps, labels=("eps_outside_sqrt", "subtracts_mean", "sum_of_squares")))


def test_zero_input_gives_zeros_not_nan(solution):
    norm, _ = make(solution, 4)
    out = norm(torch.zeros(2, 4))
    assert bool(torch.isfinite(out).all()) and bool((out == 0).all()), \
        f"RMSNorm of zeros gave {out[0].tolist()}…; expected zeros (eps keeps the division finite)"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_half_inputs_return_their_own_dtype(solution, dtype):
    norm, w = make(solution, 12, seed=10, dtype=torch.float32)
    x = torch.randn(3, 4, 12, generator=torch.Generator().manual_seed(11)).to(dtype)
    out = norm(x)
    assert out.dtype == dtype, f"output dtype {out.dtype} for a {dtype} input with float32 weight; expected {dtype}" \
                               " (compute in float32, then cast back to the input dtype)"
    tol = 1e-2 if dtype == torch.float16 else 2e-2
    assert_close(out, ref(x, w), rtol=tol, atol=tol, name=f"{dtype} output", mistakes=mistakes(x, weight=w))


def test_float16_large_values_do_not_overflow(solution):
    # 300² = 90 000 > 65 504 (fp16 max): squaring in fp16 gives inf and the output collapses to 0.
    norm, _ = make(solution, 8, dtype=torch.float16)
    x = (300 * torch.randn(2, 8, generator=torch.Generator().manual_seed(12))).to(torch.float16)
    out = norm(x)
    assert out.dtype == torch.float16, f"output dtype {out.dtype}, expected float16"
    if not bool(torch.isfinite(out).all()) or bool((out == 0).all()):
        raise AssertionError("fp16 input with values ~300 gave inf/NaN or all zeros: x² overflowed in float16; "
                             "compute the statistics in float32")
    assert_close(out, ref(x), rtol=1e-2, atol=1e-2, name="fp16 output for large inputs")


def test_module_in_bfloat16_keeps_bfloat16(solution):
    norm, w = make(solution, 10, seed=13, dtype=torch.bfloat16)
    x = torch.randn(5, 10, generator=torch.Generator().manual_seed(14)).to(torch.bfloat16)
    out = norm(x)
    assert out.dtype == torch.bfloat16, f"output dtype {out.dtype}, expected bfloat16"
    assert_close(out, ref(x, norm.weight.detach()), rtol=2e-2, atol=2e-2, name="bf16 module on bf16 input")


def test_gradients_match_reference(solution):
    norm, w = make(solution, 6, eps=1e-5, seed=15, dtype=F64)
    g = torch.Generator().manual_seed(16)
    x0 = torch.randn(4, 6, generator=g, dtype=F64)
    up = torch.randn(4, 6, generator=g, dtype=F64)
    x = x0.clone().requires_grad_()
    (norm(x) * up).sum().backward()
    xr, wr = x0.clone().requires_grad_(), w.clone().requires_grad_()
    (ref(xr, wr, eps=1e-5) * up).sum().backward()
    assert x.grad is not None and norm.weight.grad is not None, "gradients must reach x and weight"
    assert_close(x.grad, xr.grad, rtol=1e-8, atol=1e-12, name="d loss / d x")
    assert_close(norm.weight.grad, wr.grad, rtol=1e-8, atol=1e-12, name="d loss / d weight")


def test_variant_eps_and_scale(solution, variant):
    # A review may ask a large eps on small activations (where eps inside the root matters) or a width of 1;
    # the core run: eps 1e-6 on unit-scale inputs.
    dim, eps, scale = variant.get("dim", 8), variant.get("eps", 1e-6), variant.get("scale", 1.0)
    norm, w = make(solution, dim, eps=eps, seed=71, dtype=F64)
    x = scale * torch.randn(3, 4, dim, generator=torch.Generator().manual_seed(72), dtype=F64)
    assert_close(norm(x), ref(x, w, eps), rtol=1e-10, atol=1e-12, dtype="float64",
                 name=f"RMSNorm({dim}, eps={eps}) on inputs of scale {scale}", mistakes=mistakes(x, weight=w, eps=eps))


# --- defaults and precision rules ----------------------------------------------------------------------------

def test_default_eps_is_1e_minus_6(solution):
    # Inputs of size ~1e-4: mean(x²) ~ 1e-8, so the default eps (1e-6) dominates and any other default shows.
    norm = solution.RMSNorm(8).double()
    x = 1e-4 * torch.randn(3, 8, generator=torch.Generator().manual_seed(73), dtype=F64)
    assert_close(norm(x), ref(x, eps=1e-6), rtol=1e-9, atol=1e-15, name="RMSNorm(8) (default eps) on inputs ~1e-4",
                 mistakes={LABELS["default_eps_wrong"]: ref(x, eps=1e-5), **mistakes(x, eps=1e-6)})


@pytest.mark.parametrize("dtype,ulp", [(torch.float16, 2.0 ** -10), (torch.bfloat16, 2.0 ** -7)],
                         ids=["float16", "bfloat16"])
def test_half_inputs_are_computed_in_float32(solution, dtype, ulp):
    # Computed in float32 and rounded once, every element is within half a unit in the last place of the exact
    # result; statistics accumulated in half precision miss that on some of 4096 elements.
    norm, w = make(solution, 64, seed=74, dtype=torch.float32)
    x = torch.randn(64, 64, generator=torch.Generator().manual_seed(75)).to(dtype)
    out = norm(x)
    assert out.dtype == dtype, f"output dtype {out.dtype}, expected {dtype}"
    assert_close(out, ref(x, w), rtol=ulp / 2 * 1.02, atol=0, name=f"{dtype} output (within ½ ulp of the exact value)",
                 mistakes=mistakes(x, weight=w))


def test_float32_input_on_a_float64_module_stays_float32(solution):
    # The output dtype is the input's, whatever the weight's dtype (a float64 weight must not promote it).
    norm, w = make(solution, 6, seed=76, dtype=F64)
    x = torch.randn(3, 6, generator=torch.Generator().manual_seed(77))
    out = norm(x)
    assert out.dtype == torch.float32, (f"output dtype {out.dtype} for a float32 input on a float64 module; expected "
                                        "float32 (cast the weight to the compute dtype)"
                                        + ("" if out.dtype != F64 else known_mistake(LABELS["weight_dtype_promotes"])))
    assert_close(out, ref(x, w), rtol=1e-5, atol=1e-6, name="float32 input on a float64 module")


def test_non_contiguous_input_read_correctly_and_left_unchanged(solution):
    norm, w = make(solution, 5, seed=78, dtype=F64)
    x = torch.randn(5, 4, 3, generator=torch.Generator().manual_seed(79), dtype=F64).permute(2, 1, 0)  # (3, 4, 5)
    x0 = x.clone()
    out = norm(x)
    assert torch.equal(x, x0), "RMSNorm modified its input in place"
    assert_close(out, ref(x0, w), rtol=1e-10, atol=1e-12, name="RMSNorm of a permuted (non-contiguous) input",
                 mistakes=mistakes(x0, weight=w))
