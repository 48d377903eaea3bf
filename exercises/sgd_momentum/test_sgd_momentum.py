"""Hidden suite for sgd_momentum: against torch.optim.SGD and a float64 reference that can make each mistake."""

import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)
F64 = torch.float64


def reference(params, grad_steps, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
              mistake=None):
    """float64 SGD; grad_steps is a list (steps) of lists (params) of tensors or None."""
    ps = [p.detach().double().clone() for p in params]
    bufs = [None] * len(ps)
    for grads in grad_steps:
        for i, g in enumerate(grads):
            if g is None:
                if mistake != "none_grad_as_zero":
                    continue
                g = torch.zeros_like(ps[i])
            d = g.double() + (weight_decay * ps[i] if mistake != "decay_after_momentum" else 0)
            if momentum:
                if bufs[i] is None:
                    bufs[i] = (1 - dampening if mistake == "dampening_on_first_step" else 1) * d
                else:
                    bufs[i] = momentum * bufs[i] + (1 - dampening) * d
                d = d + momentum * bufs[i] if nesterov and mistake != "nesterov_as_plain" else bufs[i]
            if mistake == "decay_after_momentum":
                d = d + weight_decay * ps[i]
            ps[i] = ps[i] - lr * d
    return ps


def wrong(params, grad_steps, **kw):
    right = reference(params, grad_steps, **kw)
    found = {}
    for mistake in ("nesterov_as_plain", "dampening_on_first_step", "decay_after_momentum", "none_grad_as_zero"):
        got = reference(params, grad_steps, mistake=mistake, **kw)
        if any(not torch.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(got, right)):
            found[LABELS[mistake]] = got
    found[LABELS["params_rebound"]] = [p.detach().double() for p in params]
    return found


def make(seed, shapes, steps, dtype=F64, none_at=None):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g, dtype=dtype) for s in shapes]
    grads = [[torch.randn(s, generator=g, dtype=dtype) for s in shapes] for _ in range(steps)]
    for step, index in none_at or ():
        grads[step][index] = None
    return params, grads


def run_mine(solution, params, grad_steps, **kw):
    mine = [p.clone() for p in params]
    ids = [(id(p), p.data_ptr()) for p in mine]
    opt = solution.SGD(mine, **kw)
    kept = [[None if g is None else (g, g.clone()) for g in grads] for grads in grad_steps]
    for grads in grad_steps:
        opt.step(grads)
    assert [(id(p), p.data_ptr()) for p in mine] == ids, "parameters must be updated in place (same tensors)"
    for step in kept:
        for pair in step:
            if pair is not None and not torch.equal(*pair):
                raise AssertionError(f"a gradient tensor you were given was changed: "
                                     f"{LABELS['gradient_aliased_as_buffer']}")
    return mine


def run_torch(params, grad_steps, **kw):
    ps = [p.clone().requires_grad_() for p in params]
    opt = torch.optim.SGD(ps, **kw)
    for grads in grad_steps:
        for p, g in zip(ps, grads):
            p.grad = None if g is None else g.clone()
        opt.step()
    return [p.detach() for p in ps]


def check(solution, params, grad_steps, what, rtol=1e-12, atol=1e-14, **kw):
    mine = run_mine(solution, params, grad_steps, **kw)
    want = run_torch(params, grad_steps, **kw)
    wrong_all = wrong(params, grad_steps, **kw)
    for i, (m, w) in enumerate(zip(mine, want)):
        assert_close(m, w, rtol=rtol, atol=atol, name=f"parameter {i} after {len(grad_steps)} steps {what}",
                     mistakes={label: v[i] for label, v in wrong_all.items()})


CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.8, weight_decay=0.1),
    dict(lr=0.1, momentum=0.7, weight_decay=0.05, nesterov=True),
    dict(lr=0.2, weight_decay=0.3),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_matches_torch_optim_sgd(solution, kw):
    params, grads = make(0, [(3, 4), (5,), ()], steps=5)
    check(solution, params, grads, f"({kw})", **kw)


def test_defaults_match_torch(solution):
    params, grads = make(1, [(4,), (2, 3)], steps=3)
    check(solution, params, grads, "(SGD(params): lr 1e-3, no momentum, no decay)")


def test_step_without_arguments_reads_dot_grad(solution):
    params, grads = make(2, [(3,), (2, 2)], steps=3)
    mine = [p.clone() for p in params]
    opt = solution.SGD(mine, lr=0.1, momentum=0.9, nesterov=True)
    for step in grads:
        for p, g in zip(mine, step):
            p.grad = g.clone()
        opt.step()
    want = run_torch(params, grads, lr=0.1, momentum=0.9, nesterov=True)
    for i, (m, w) in enumerate(zip(mine, want)):
        assert_close(m, w, rtol=1e-12, atol=1e-14, name=f"parameter {i} after step() read .grad")
    opt.zero_grad()
    assert all(p.grad is None for p in mine), "zero_grad must set every .grad to None"


def test_none_gradient_skips_the_parameter(solution):
    # parameter 0 has no gradient at steps 2 and 3: its momentum must not keep moving it
    params, grads = make(3, [(4,), (3,)], steps=4, none_at=[(2, 0), (3, 0)])
    check(solution, params, grads, "(a None gradient at steps 3 and 4)", lr=0.1, momentum=0.9, weight_decay=0.1)


def test_learning_rate_can_change_between_steps(solution):
    params, grads = make(4, [(5,)], steps=4)
    mine = [p.clone() for p in params]
    opt = solution.SGD(mine, lr=0.1, momentum=0.9)
    ref = [p.clone().requires_grad_() for p in params]
    topt = torch.optim.SGD(ref, lr=0.1, momentum=0.9)
    for step, lr in zip(grads, (0.1, 0.05, 0.2, 0.01)):
        opt.lr = lr
        topt.param_groups[0]["lr"] = lr
        opt.step(step)
        ref[0].grad = step[0].clone()
        topt.step()
    assert_close(mine[0], ref[0].detach(), rtol=1e-12, atol=1e-14,
                 name="parameter after changing opt.lr between steps (the buffer holds gradients, not lr·gradients)")


def test_float32_matches_torch(solution):
    params, grads = make(5, [(6, 3)], steps=4, dtype=torch.float32)
    kw = dict(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True)
    mine = run_mine(solution, params, grads, **kw)
    assert mine[0].dtype == torch.float32, f"parameter dtype changed to {mine[0].dtype}"
    assert_close(mine[0], run_torch(params, grads, **kw)[0], rtol=1e-6, atol=1e-7, dtype="float32",
                 name="float32 parameter after 4 Nesterov steps")


def test_zero_learning_rate_and_zero_momentum_dampening(solution):
    params, grads = make(6, [(3,)], steps=2)
    check(solution, params, grads, "(lr = 0: nothing moves)", lr=0.0, momentum=0.9)
    check(solution, params, grads, "(dampening without momentum has no effect)", lr=0.1, dampening=0.5)


def test_momentum_of_the_variant(solution, variant):
    kw = {"lr": 0.05, "momentum": variant.get("momentum", 0.99), "nesterov": variant.get("nesterov", False)}
    params, grads = make(7, [(4, 4)], steps=6)
    check(solution, params, grads, f"({kw})", **kw)


def test_invalid_settings_raise_value_error(solution):
    p = [torch.zeros(2)]
    expect_value_error(lambda: solution.SGD(p, lr=0.1, nesterov=True), "nesterov=True without momentum")
    expect_value_error(lambda: solution.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
                       "nesterov=True with dampening")
    expect_value_error(lambda: solution.SGD(p, lr=-1.0), "a negative learning rate")
