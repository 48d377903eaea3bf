"""Hidden suite for adam: Adam / AdamW against a float64 reference written here and torch.optim."""


import pytest
import torch

from quizcli.testing import assert_close, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def reference(params, grad_steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False,
              mistake=None):
    """float64 Adam/AdamW. grad_steps: list (steps) of lists (params) of tensors or None."""
    b1, b2 = betas
    ps = [p.detach().double().clone() for p in params]
    m = [torch.zeros_like(p) for p in ps]
    v = [torch.zeros_like(p) for p in ps]
    t = [0] * len(ps)
    for grads in grad_steps:
        if mistake == "global_step_count":
            t = [x + 1 for x in t]
        for i, g in enumerate(grads):
            if g is None:
                continue
            g = g.double()
            l2 = weight_decay and mistake != "decay_ignored" and (
                (not decoupled and mistake != "l2_decay_decoupled") or (decoupled and mistake == "adamw_decay_in_gradient"))
            decay = weight_decay and mistake != "decay_ignored" and (
                (decoupled and mistake != "adamw_decay_in_gradient") or (not decoupled and mistake == "l2_decay_decoupled"))
            if l2:
                g = g + weight_decay * ps[i]
            if mistake != "global_step_count":
                t[i] += 1
            tt = t[i] + (1 if mistake == "step_count_off_by_one" else 0)
            if mistake == "swapped_betas":
                m[i] = (1 - b1) * m[i] + b1 * g
                v[i] = (1 - b2) * v[i] + b2 * g * g
            else:
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
            if mistake == "no_bias_correction":
                m_hat, v_hat = m[i], v[i]
            elif mistake == "bias_correction_m_only":
                m_hat, v_hat = m[i] / (1 - b1 ** tt), v[i]
            else:
                m_hat, v_hat = m[i] / (1 - b1 ** tt), v[i] / (1 - b2 ** tt)
            denom = (v_hat + eps).sqrt() if mistake == "eps_inside_sqrt" else v_hat.sqrt() + eps
            if decay:
                ps[i] = ps[i] * (1 - (1 if mistake == "adamw_decay_without_lr" else lr) * weight_decay)
            ps[i] = ps[i] - lr * m_hat / denom
    return ps


def make_problem(shapes, steps, seed, dtype=torch.float64, grad_scale=1.0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g, dtype=dtype) for s in shapes]
    grad_steps = [[grad_scale * torch.randn(s, generator=g, dtype=dtype) for s in shapes] for _ in range(steps)]
    return params, grad_steps


def run_solution(solution, params, grad_steps, **kw):
    ps = [p.clone() for p in params]
    opt = solution.Adam(ps, **kw)
    for grads in grad_steps:
        opt.step([None if gr is None else gr.clone() for gr in grads])
    return ps


def mistakes_for(params, grad_steps, labels, **kw):
    return {LABELS[k]: reference(params, grad_steps, mistake=k, **kw) for k in labels}


def check_params(got, expected, mistakes, rtol=1e-9, atol=1e-12, what="parameters"):
    for i, (a, e) in enumerate(zip(got, expected)):
        if not torch.isfinite(a).all():
            raise AssertionError(
                f"{what} [{i}]: non-finite values (NaN/inf) after the steps; is the step count still 0 when "
                "the bias correction 1 − β^t is computed? (1 − β^0 = 0 divides by zero)")
        assert_close(a, e, rtol=rtol, atol=atol, name=f"{what} [{i}] (shape {tuple(e.shape)})",
                     mistakes={label: wrong[i] for label, wrong in mistakes.items()})


ALL = ["no_bias_correction", "bias_correction_m_only", "eps_inside_sqrt", "swapped_betas", "step_count_off_by_one"]


def test_first_step_moves_each_weight_by_about_lr(solution):
    params, grads = make_problem([(7,)], 1, seed=1)
    got = run_solution(solution, params, grads, lr=0.01)
    delta = got[0] - params[0]
    expected = -0.01 * grads[0][0] / (grads[0][0].abs() + 1e-8)
    assert_close(delta, expected, rtol=1e-6, atol=1e-10, name="first-step change p_1 − p_0 (should be ≈ −lr·sign(g))",
                 mistakes={LABELS[k]: reference(params, grads, lr=0.01, mistake=k)[0] - params[0]
                           for k in ALL})


def test_bias_correction_in_first_steps(solution):
    # A constant gradient: with bias correction m̂ = g and v̂ = g² at EVERY step, so each step moves by lr·sign(g).
    g = torch.tensor([0.5, -2.0, 3.0, -0.25], dtype=torch.float64)
    params = [torch.zeros(4, dtype=torch.float64)]
    grads = [[g.clone()] for _ in range(3)]
    got = run_solution(solution, params, grads, lr=0.1)
    check_params(got, reference(params, grads, lr=0.1), mistakes_for(params, grads, ALL, lr=0.1),
                 what="parameters after 3 steps with a constant gradient (expected −3·lr·sign(g))")


@pytest.mark.parametrize("shapes,steps,seed,betas", [
    ([(5,)], 4, 0, (0.9, 0.999)),
    ([(3, 4), (6,)], 6, 1, (0.8, 0.99)),
    ([(2, 3, 5), (1,), (7, 1)], 10, 2, (0.5, 0.9)),
    ([(3, 2), (3, 2), (3, 2)], 4, 3, (0.9, 0.99)),  # same shapes: each parameter keeps its own m, v and t
])
def test_several_steps_match_float64_reference(solution, shapes, steps, seed, betas):
    params, grads = make_problem(shapes, steps, seed)
    kw = dict(lr=0.05, betas=betas, eps=1e-8)
    got = run_solution(solution, params, grads, **kw)
    check_params(got, reference(params, grads, **kw), mistakes_for(params, grads, ALL, **kw))


def test_eps_added_outside_sqrt(solution):
    # Tiny gradients and a large eps make √(v̂)+eps and √(v̂+eps) very different.
    params, grads = make_problem([(4, 3)], 3, seed=5, grad_scale=1e-3)
    kw = dict(lr=0.01, eps=1e-3)
    got = run_solution(solution, params, grads, **kw)
    check_params(got, reference(params, grads, **kw), mistakes_for(params, grads, ALL, **kw),
                 what="parameters with eps=1e-3 and gradients ~1e-3")


@pytest.mark.parametrize("decoupled,wrong", [
    (True, ["adamw_decay_in_gradient", "adamw_decay_without_lr", "decay_ignored"]),
    (False, ["l2_decay_decoupled", "decay_ignored"]),
], ids=["AdamW-decoupled", "Adam-L2"])
def test_weight_decay_flavour(solution, decoupled, wrong):
    params, grads = make_problem([(6,), (2, 5)], 5, seed=3 if decoupled else 4)
    kw = dict(lr=0.02, weight_decay=0.5, decoupled=decoupled)
    got = run_solution(solution, params, grads, **kw)
    check_params(got, reference(params, grads, **kw), mistakes_for(params, grads, [*wrong, *ALL], **kw),
                 what=f"parameters with weight_decay=0.5, decoupled={decoupled} "
                      f"({'AdamW: decay the weights' if decoupled else 'Adam + L2: add λ·p to the gradient'})")


@pytest.mark.parametrize("decoupled", [False, True], ids=["Adam", "AdamW"])
def test_float32_matches_torch_optim(solution, decoupled):
    params, grads = make_problem([(8, 3), (5,)], 6, seed=7, dtype=torch.float32)
    kw = dict(lr=0.03, betas=(0.85, 0.995), eps=1e-6, weight_decay=0.1)
    got = run_solution(solution, params, grads, decoupled=decoupled, **kw)
    ref = [p.clone() for p in params]
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls(ref, **kw)
    for step in grads:
        for p, g in zip(ref, step):
            p.grad = g.clone()
        opt.step()
    for i, (a, e) in enumerate(zip(got, ref)):
        assert_close(a, e, rtol=1e-5, atol=1e-6, dtype="float32",
                     name=f"float32 parameter [{i}] vs torch.optim.{cls.__name__}")


def test_step_without_arguments_reads_dot_grad_in_place(solution):
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4, 3, dtype=torch.float64))
    b = torch.nn.Parameter(torch.randn(3, dtype=torch.float64))
    w0, b0 = w.detach().clone(), b.detach().clone()
    x = torch.randn(5, 4, dtype=torch.float64)
    opt = solution.Adam([w, b], lr=0.1)
    grad_steps = []
    for _ in range(3):
        w.grad = b.grad = None
        loss = ((x @ w + b) ** 2).sum()
        loss.backward()
        grad_steps.append([w.grad.clone(), b.grad.clone()])
        opt.step()
    assert isinstance(w, torch.nn.Parameter) and w.requires_grad, "parameters must stay nn.Parameters (update in place)"
    expected = reference([w0, b0], grad_steps, lr=0.1)
    check_params([w.detach(), b.detach()], expected, mistakes_for([w0, b0], grad_steps, ALL, lr=0.1),
                 what="nn.Parameter updated from .grad by step()")


def test_none_gradient_skips_parameter_and_its_step_count(solution):
    params, grads = make_problem([(3,), (4,)], 4, seed=9)
    grads[0][1] = None  # second parameter has no gradient on the first step
    grads[2][1] = None
    kw = dict(lr=0.05)
    got = run_solution(solution, params, grads, **kw)
    check_params(got, reference(params, grads, **kw), mistakes_for(params, grads, [*ALL, "global_step_count"], **kw),
                 what="parameters when some gradients are None (skipped: no update, step count unchanged)")


def test_zero_grad_clears_gradients(solution):
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.ones(3)
    q = torch.nn.Parameter(torch.ones(2))  # never had a gradient: zero_grad must not fail on it
    opt = solution.Adam([p, q])
    opt.zero_grad()
    assert p.grad is None or bool((p.grad == 0).all()), \
        f"zero_grad() left .grad = {p.grad.tolist()}; expected None (or zeros)"


def test_none_dot_grad_skipped_by_step_without_arguments(solution):
    # step() reading .grad must skip a parameter whose .grad is None, exactly as step(grads) skips a None entry.
    params, grads = make_problem([(4,), (3,)], 3, seed=15)
    grads[1][1] = None
    ps = [torch.nn.Parameter(p.clone()) for p in params]
    opt = solution.Adam(ps, lr=0.05)
    for step in grads:
        for p, g in zip(ps, step):
            p.grad = None if g is None else g.clone()
        opt.step()
    check_params([p.detach() for p in ps], reference(params, grads, lr=0.05),
                 mistakes_for(params, grads, [*ALL, "global_step_count"], lr=0.05),
                 what="nn.Parameter after step() with .grad = None on the second step (skipped: no update)")


def test_gradients_left_unchanged(solution):
    params, grads = make_problem([(5,), (2, 3)], 3, seed=16)
    ps = [p.clone() for p in params]
    opt = solution.Adam(ps, lr=0.05, weight_decay=0.3)
    for step in grads:
        given, before = [g.clone() for g in step], [p.clone() for p in ps]
        opt.step(given)
        for i, (g, g0) in enumerate(zip(given, step)):
            if not torch.equal(g, g0):
                hint = known_mistake(LABELS["l2_in_place_on_gradient"]) if torch.allclose(g, g0 + 0.3 * before[i]) else ""
                raise AssertionError(f"step() changed the gradient [{i}] it was given (Adam + L2): the caller's "
                                     "gradients are read-only, add λ·p into a new tensor" + hint)


def test_dtype_and_identity_preserved(solution):
    params, grads = make_problem([(2, 2)], 2, seed=11, dtype=torch.float32)
    ps = [params[0].clone()]
    obj = ps[0]
    opt = solution.Adam(ps, lr=0.1)
    for s in grads:
        opt.step(s)
    assert ps[0] is obj, "the parameter list must hold the same tensor objects: update them in place"
    assert obj.dtype == torch.float32, f"parameter dtype changed to {obj.dtype}; expected float32"
    assert not torch.equal(obj, params[0]), "step() did not change the parameter (is the update in place?)"


def test_defaults_match_torch_optim_adam(solution):
    # Adam(params) with nothing else: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, no weight decay.
    params, grads = make_problem([(4, 2), (3,)], 5, seed=12)
    got = [p.clone() for p in params]
    opt = solution.Adam(got)
    for step in grads:
        opt.step([g.clone() for g in step])
    check_params(got, reference(params, grads), mistakes_for(params, grads, ALL), what="parameters with every default")


@pytest.mark.parametrize("decoupled", [False, True], ids=["Adam", "AdamW"])
def test_view_parameters_update_the_callers_storage(solution, decoupled):
    # Parameters that are views (a transposed matrix, a strided slice of a flat buffer) must be updated where they
    # live: an update of a reshaped copy, or `p.data = ...`, leaves the caller's tensors unchanged.
    params, grads = make_problem([(3, 4), (5,)], 3, seed=17)
    base, flat = params[0].t().contiguous(), torch.zeros(11, dtype=torch.float64)
    flat[1::2] = params[1]
    views = [base.t(), flat[1::2]]
    ptrs = [v.data_ptr() for v in views]
    kw = dict(lr=0.05, weight_decay=0.2, decoupled=decoupled)
    opt = solution.Adam(views, **kw)
    for step in grads:
        opt.step([g.clone() for g in step])
    expected = reference(params, grads, **kw)
    for i, (got, e) in enumerate(zip([base.t(), flat[1::2]], expected)):
        lost = " (the update did not reach the caller's storage: update the view itself in place)"
        if views[i].data_ptr() != ptrs[i]:
            raise AssertionError(f"view parameter [{i}] now points to other memory{lost}"
                                 + known_mistake(LABELS["data_rebound"]))
        if torch.equal(got, params[i]):
            raise AssertionError(f"view parameter [{i}] unchanged in the caller's tensor{lost}"
                                 + known_mistake(LABELS["update_on_reshaped_copy"]))
        assert_close(got, e, rtol=1e-9, atol=1e-12, name=f"view parameter [{i}] read back from the caller's tensor")
    assert torch.equal(flat[0::2], torch.zeros(6, dtype=torch.float64)), \
        "elements of the flat buffer outside the strided parameter changed"


def test_decoupled_without_weight_decay_is_plain_adam(solution):
    params, grads = make_problem([(5,)], 3, seed=13)
    got = run_solution(solution, params, grads, lr=0.05, decoupled=True)
    check_params(got, reference(params, grads, lr=0.05), mistakes_for(params, grads, ALL, lr=0.05),
                 what="AdamW with weight_decay=0 (must equal Adam)")


def test_zero_gradient_leaves_parameter_unchanged_at_first(solution):
    params = [torch.randn(4, dtype=torch.float64, generator=torch.Generator().manual_seed(14))]
    got = run_solution(solution, params, [[torch.zeros(4, dtype=torch.float64)]], lr=0.1)
    assert torch.isfinite(got[0]).all(), "a zero gradient gave NaN/inf: eps must keep the denominator positive"
    assert_close(got[0], params[0], rtol=0, atol=1e-12, name="parameter after one step with a zero gradient")
