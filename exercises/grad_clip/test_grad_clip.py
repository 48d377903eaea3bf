"""Hidden suite for grad_clip: against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ on copies."""

import math

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)
F64 = torch.float64


def params(seed, shapes, scale=1.0, dtype=F64, none=()):
    g = torch.Generator().manual_seed(seed)
    ps = []
    for i, s in enumerate(shapes):
        p = torch.randn(s, generator=g, dtype=dtype).requires_grad_()
        p.grad = None if i in none else scale * torch.randn(s, generator=g, dtype=dtype)
        ps.append(p)
    return ps


def copies(ps):
    out = []
    for p in ps:
        q = p.detach().clone().requires_grad_()
        q.grad = None if p.grad is None else p.grad.clone()
        out.append(q)
    return out


def total_norm(ps, p):
    gs = [q.grad.double().flatten() for q in ps if q.grad is not None]
    if not gs:
        return torch.tensor(0.0, dtype=F64)
    flat = torch.cat(gs)
    return flat.abs().max() if p == math.inf else flat.norm(p)


def wrong_grads(ps, max_norm, p):
    """Gradients after each classic mistake, by label (None grads stay None)."""
    total = float(total_norm(ps, p))
    found = {}
    per = [None if q.grad is None else q.grad.double() * min(1.0, max_norm / (float(q.grad.double().norm(p)) + 1e-6))
           for q in ps]
    found["per_tensor_clipping"] = per
    found["scales_up_when_under"] = [None if q.grad is None else q.grad.double() * max_norm / (total + 1e-6) for q in ps]
    if total > max_norm:
        found["no_eps"] = [None if q.grad is None else q.grad.double() * max_norm / total for q in ps]
    if p != 2:
        two = float(total_norm(ps, 2))
        found["norm_type_ignored"] = [None if q.grad is None else q.grad.double() * min(1.0, max_norm / (two + 1e-6))
                                      for q in ps]
    return {LABELS[k]: v for k, v in found.items()}


def check_norm(solution, ps, max_norm, what, rtol=1e-12, atol=1e-15, **kw):
    mine, ref = copies(ps), copies(ps)
    grad_objects = [(q.grad, None if q.grad is None else q.grad.data_ptr()) for q in mine]
    got_total = solution.clip_grad_norm_(mine, max_norm, **kw)
    want_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, **kw)
    p = float(kw.get("norm_type", 2.0))
    assert got_total is not None, f"{what}: clip_grad_norm_ must return the total norm"
    wrong_total = {LABELS["returns_clipped_norm"]: min(float(want_total), max_norm)} \
        if float(want_total) > max_norm else {}
    if p != 2.0:
        wrong_total[LABELS["norm_type_ignored"]] = float(total_norm(ps, 2))
    assert_close(torch.as_tensor(got_total, dtype=F64), want_total.double(), rtol=max(rtol, 1e-12), atol=atol,
                 name=f"returned total norm {what}", mistakes=wrong_total)
    for q, (g, ptr) in zip(mine, grad_objects):
        if g is not None and (q.grad is not g or q.grad.data_ptr() != ptr):
            raise AssertionError(f"{what}: {LABELS['grads_rebound']}")
    wrong = wrong_grads(ps, max_norm, p)
    for i, (m, r) in enumerate(zip(mine, ref)):
        if r.grad is None:
            assert m.grad is None, f"{what}: parameter {i} had no gradient and must still have none"
            continue
        assert_close(m.grad, r.grad, rtol=rtol, atol=atol, name=f"gradient {i} after clipping {what}",
                     mistakes={label: v[i] for label, v in wrong.items()
                               if v[i] is not None and not torch.allclose(v[i], r.grad.double(), rtol=1e-9, atol=0)})


SETS = [([(3, 4), (5,), ()], 1.0), ([(10,)], 0.5), ([(2, 3, 4), (6, 2)], 100.0), ([(4, 4), (4,), (1,)], 0.1)]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf], ids=["l2", "l1", "l3", "inf"])
@pytest.mark.parametrize("shapes,max_norm", SETS, ids=["mixed", "one", "under", "many"])
def test_clip_grad_norm_matches_torch(solution, shapes, max_norm, norm_type):
    ps = params(len(shapes), shapes, scale=2.0)
    check_norm(solution, ps, max_norm, f"(max_norm={max_norm}, norm_type={norm_type})", norm_type=norm_type)


def test_default_norm_type_is_2(solution):
    check_norm(solution, params(1, [(6,), (2, 5)], scale=3.0), 1.5, "(default norm_type)")


def test_under_the_limit_nothing_changes(solution):
    ps = params(2, [(3,), (4,)], scale=0.01)
    check_norm(solution, ps, 5.0, "(total norm far below max_norm)", rtol=0, atol=0)


def test_eps_in_the_coefficient(solution):
    # total ≈ 1e-3 and max_norm 1e-4: the +1e-6 changes the scale by about 1e-3 relative
    check_norm(solution, params(3, [(5,), (5,)], scale=3e-4), 1e-4, "(tiny norms, where the 1e-6 matters)")


def test_none_gradients_are_skipped(solution):
    check_norm(solution, params(4, [(3,), (4,), (2, 2)], scale=5.0, none=(1,)), 1.0, "(the second gradient is None)")
    empty = params(5, [(3,), (2,)], none=(0, 1))
    total = solution.clip_grad_norm_(empty, 1.0)
    assert float(total) == 0.0, f"with no gradients at all the total norm is 0, got {float(total)}"


def test_zero_gradients(solution):
    ps = params(6, [(4,), (3,)], scale=0.0)
    check_norm(solution, ps, 1.0, "(all gradients zero: no division by zero)", atol=0)


def test_single_tensor_and_generator_arguments(solution):
    ps = params(7, [(5, 3)], scale=4.0)
    mine, ref = copies(ps), copies(ps)
    solution.clip_grad_norm_(mine[0], 2.0)
    torch.nn.utils.clip_grad_norm_(ref[0], 2.0)
    assert_close(mine[0].grad, ref[0].grad, rtol=1e-12, atol=1e-15, name="a single tensor instead of a list")
    ps = params(8, [(4,), (6,)], scale=4.0)
    mine, ref = copies(ps), copies(ps)
    solution.clip_grad_norm_((q for q in mine), 1.0)  # like model.parameters(): can be iterated once only
    torch.nn.utils.clip_grad_norm_(ref, 1.0)
    for i, (m, r) in enumerate(zip(mine, ref)):
        assert_close(m.grad, r.grad, rtol=1e-12, atol=1e-15,
                     name=f"gradient {i} when the parameters come from a generator (iterate it only once)")


def test_float32(solution):
    ps = params(9, [(8, 8), (8,)], scale=3.0, dtype=torch.float32)
    check_norm(solution, ps, 1.0, "(float32)", rtol=1e-6, atol=1e-7)


def test_many_tensors_of_the_variant(solution, variant):
    n, norm_type = variant.get("tensors", 12), variant.get("norm_type", 2.0)
    ps = params(10, [(3, 2)] * n, scale=1.0)
    check_norm(solution, ps, 0.5, f"({n} tensors, norm_type={norm_type})", norm_type=norm_type)


@pytest.mark.parametrize("value", [0.5, 2.0])
def test_clip_grad_value_matches_torch(solution, value):
    ps = params(11, [(5, 4), (7,)], scale=2.0, none=())
    ps.append(params(12, [(3,)], none=(0,))[0])
    mine, ref = copies(ps), copies(ps)
    objects = [q.grad for q in mine]
    assert solution.clip_grad_value_(mine, value) is None, "clip_grad_value_ returns None (it works in place)"
    torch.nn.utils.clip_grad_value_(ref, value)
    for i, (m, r, g) in enumerate(zip(mine, ref, objects)):
        if r.grad is None:
            assert m.grad is None, "a None gradient must stay None"
            continue
        assert m.grad is g, f"gradient {i} must be clamped in place (the same tensor)"
        one_sided = ps[i].grad.clamp(max=value)
        assert_close(m.grad, r.grad, rtol=0, atol=0, name=f"gradient {i} after clip_grad_value_({value})",
                     mistakes={LABELS["value_clip_one_sided"]: one_sided})
