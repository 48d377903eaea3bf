"""Hidden suite for batchnorm: against torch.nn.functional.batch_norm / nn.BatchNorm2d in float64."""

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)
F64 = torch.float64


def data(seed, shape, scale=2.0, offset=0.0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    c = shape[1]
    x = (offset + scale * torch.randn(shape, generator=g)).to(dtype)
    weight = (1 + 0.5 * torch.randn(c, generator=g)).to(dtype)
    bias = (0.5 * torch.randn(c, generator=g)).to(dtype)
    rm = torch.randn(c, generator=g).to(dtype)
    rv = (0.5 + torch.rand(c, generator=g)).to(dtype)
    return x, weight, bias, rm, rv


def batch_stats(x):
    n = x.numel() // x.shape[1]
    mean = x.double().mean(dim=(0, 2, 3))
    var = x.double().var(dim=(0, 2, 3), unbiased=False)
    return mean, var, n


def normalise(x, mean, var, weight, bias, eps=1e-5, eps_outside=False):
    s = (1, -1, 1, 1)
    denom = var.sqrt().view(s) + eps if eps_outside else (var.view(s) + eps).sqrt()
    y = (x.double() - mean.view(s)) / denom
    return y * (1 if weight is None else weight.double().view(s)) + (0 if bias is None else bias.double().view(s))


def output_mistakes(x, rm, rv, weight, bias, training, eps=1e-5):
    mean, var, n = batch_stats(x)
    if training:
        return {LABELS["unbiased_normalisation"]: normalise(x, mean, var * n / (n - 1), weight, bias, eps),
                LABELS["eps_outside_sqrt"]: normalise(x, mean, var, weight, bias, eps, eps_outside=True)}
    return {LABELS["eval_uses_batch_stats"]: normalise(x, mean, var, weight, bias, eps),
            LABELS["eps_outside_sqrt"]: normalise(x, rm.double(), rv.double(), weight, bias, eps, eps_outside=True)}


def running_mistakes(x, rm, rv, momentum):
    """Wrong (running_mean, running_var) after one training step, by label."""
    mean, var, n = batch_stats(x)
    rm, rv = rm.double(), rv.double()
    wrong = {LABELS["running_stats_rebound"]: (rm, rv),
             LABELS["running_var_biased"]: (None, (1 - momentum) * rv + momentum * var)}
    if momentum != 0.5:
        wrong[LABELS["momentum_reversed"]] = (momentum * rm + (1 - momentum) * mean,
                                              momentum * rv + (1 - momentum) * var * n / (n - 1))
    return wrong


def step(solution, x, weight, bias, rm, rv, training, **kw):
    """Run the solution on copies of the buffers; return (y, its running_mean, its running_var)."""
    mine_rm, mine_rv = rm.clone(), rv.clone()
    before = x.clone()
    y = solution.batch_norm2d(x, mine_rm, mine_rv, weight, bias, training, **kw)
    assert torch.equal(x, before), "the input x was modified"
    return y, mine_rm, mine_rv


def check_step(solution, x, weight, bias, rm, rv, training, what, rtol=1e-10, atol=1e-12, **kw):
    y, mine_rm, mine_rv = step(solution, x, weight, bias, rm, rv, training, **kw)
    ref_rm, ref_rv = rm.double().clone(), rv.double().clone()
    want = F.batch_norm(x.double(), ref_rm, ref_rv, None if weight is None else weight.double(),
                        None if bias is None else bias.double(), training, **kw)
    eps = kw.get("eps", 1e-5)
    assert_close(y, want, rtol=rtol, atol=atol, name=f"output {what}",
                 mistakes=output_mistakes(x, rm, rv, weight, bias, training, eps))
    wrong = running_mistakes(x, rm, rv, kw.get("momentum", 0.1)) if training else {}
    assert_close(mine_rm, ref_rm, rtol=rtol, atol=atol, name=f"running_mean after the call {what}",
                 mistakes={k: v[0] for k, v in wrong.items() if v[0] is not None})
    assert_close(mine_rv, ref_rv, rtol=rtol, atol=atol, name=f"running_var after the call {what}",
                 mistakes={k: v[1] for k, v in wrong.items()})
    return y


@pytest.mark.parametrize("shape,momentum,seed", [((4, 3, 5, 5), 0.1, 0), ((2, 5, 3, 4), 0.3, 1), ((8, 2, 1, 1), 0.1, 2),
                                                 ((1, 4, 6, 3), 0.9, 3), ((3, 1, 2, 7), 1.0, 4)])
def test_training_step_matches_torch(solution, shape, momentum, seed):
    x, weight, bias, rm, rv = data(seed, shape)
    check_step(solution, x, weight, bias, rm, rv, True, f"(training, x {shape}, momentum={momentum})",
               momentum=momentum)


def test_momentum_of_the_variant(solution, variant):
    momentum = variant.get("momentum", 0.25)
    x, weight, bias, rm, rv = data(19, (3, 2, 4, 4), offset=2.0)
    check_step(solution, x, weight, bias, rm, rv, True, f"(training, momentum={momentum})", momentum=momentum)


def test_eval_uses_the_running_statistics(solution):
    x, weight, bias, rm, rv = data(5, (4, 3, 4, 4), offset=3.0)
    y, mine_rm, mine_rv = step(solution, x, weight, bias, rm, rv, False)
    assert torch.equal(mine_rm, rm) and torch.equal(mine_rv, rv), "eval mode must not change the running statistics"
    check_step(solution, x, weight, bias, rm, rv, False, "(eval)")


def test_defaults_eval_mode_without_affine(solution):
    x, _, _, rm, rv = data(6, (2, 3, 3, 3))
    y = solution.batch_norm2d(x, rm.clone(), rv.clone())
    assert_close(y, F.batch_norm(x, rm.clone(), rv.clone()), rtol=1e-10, atol=1e-12,
                 name="batch_norm2d(x, running_mean, running_var) (defaults: eval, no weight or bias)",
                 mistakes=output_mistakes(x, rm, rv, None, None, False))


def test_default_momentum_and_eps_in_training(solution):
    x, weight, bias, rm, rv = data(7, (3, 4, 2, 2), scale=3e-3)  # variance ≈ 1e-5, the size of the default eps
    check_step(solution, x, weight, bias, rm, rv, True, "(training, default momentum 0.1 and eps 1e-5)",
               rtol=1e-8, atol=1e-10)


def test_three_training_steps_then_eval_match_nn_batchnorm2d(solution):
    bn = torch.nn.BatchNorm2d(3, momentum=0.2, dtype=F64)
    rm, rv = bn.running_mean.clone(), bn.running_var.clone()
    for seed in range(8, 11):
        x = data(seed, (4, 3, 3, 3), offset=seed - 9.0)[0]
        bn.train()
        want = bn(x)
        got = solution.batch_norm2d(x, rm, rv, bn.weight, bn.bias, True, momentum=0.2)
        assert_close(got, want, rtol=1e-10, atol=1e-12, name=f"training output, step {seed - 7}")
    assert_close(rm, bn.running_mean, rtol=1e-10, atol=1e-12, name="running_mean after 3 steps")
    assert_close(rv, bn.running_var, rtol=1e-10, atol=1e-12, name="running_var after 3 steps")
    bn.eval()
    x = data(11, (2, 3, 3, 3))[0]
    assert_close(solution.batch_norm2d(x, rm, rv, bn.weight, bn.bias, False), bn(x), rtol=1e-10, atol=1e-12,
                 name="eval output after 3 training steps")


@pytest.mark.parametrize("training", [True, False], ids=["training", "eval"])
def test_gradients_match_torch(solution, training):
    x0, w0, b0, rm, rv = data(12, (3, 2, 3, 4))
    leaves = [t.clone().requires_grad_() for t in (x0, w0, b0)]
    refs = [t.clone().requires_grad_() for t in (x0, w0, b0)]
    up = torch.randn(x0.shape, generator=torch.Generator().manual_seed(13), dtype=F64)
    solution.batch_norm2d(leaves[0], rm.clone(), rv.clone(), leaves[1], leaves[2], training).backward(up)
    F.batch_norm(refs[0], rm.clone(), rv.clone(), refs[1], refs[2], training).backward(up)
    for name, mine, ref in zip(("x", "weight", "bias"), leaves, refs):
        assert mine.grad is not None, f"no gradient reached {name}"
        mode = "training" if training else "eval"
        assert_close(mine.grad, ref.grad, rtol=1e-9, atol=1e-11, name=f"d loss / d {name} ({mode})")


def test_training_without_running_statistics(solution):
    x, weight, bias, _, _ = data(14, (2, 3, 4, 4))
    got = solution.batch_norm2d(x, None, None, weight, bias, True)
    assert_close(got, F.batch_norm(x, None, None, weight, bias, True), rtol=1e-10, atol=1e-12,
                 name="training with running_mean = running_var = None (nothing tracked)")


def test_channels_last_input(solution):
    x, weight, bias, rm, rv = data(15, (2, 4, 3, 5))
    check_step(solution, x.to(memory_format=torch.channels_last), weight, bias, rm, rv, True,
               "(training, channels_last input)")


def test_large_offset(solution):
    x, weight, bias, rm, rv = data(16, (4, 2, 3, 3), scale=1.0, offset=1e6)
    check_step(solution, x, weight, bias, rm, rv, True, "(values ≈ 1e6 ± 1)", rtol=1e-7, atol=1e-6)


def test_float32(solution):
    x, weight, bias, rm, rv = data(17, (4, 3, 4, 4), dtype=torch.float32)
    y, mine_rm, mine_rv = step(solution, x, weight, bias, rm, rv, True)
    ref_rm, ref_rv = rm.clone(), rv.clone()
    want = F.batch_norm(x, ref_rm, ref_rv, weight, bias, True)
    assert_close(y, want, rtol=1e-4, atol=1e-5, dtype="float32", name="float32 training output")
    assert_close(mine_rv, ref_rv, rtol=1e-5, atol=1e-6, dtype="float32", name="float32 running_var")


def test_one_value_per_channel_cannot_train(solution):
    x, weight, bias, rm, rv = data(18, (1, 3, 1, 1))
    expect_value_error(lambda: solution.batch_norm2d(x, rm.clone(), rv.clone(), weight, bias, True),
                       "training on a (1, C, 1, 1) input (one value per channel)")
    check_step(solution, x, weight, bias, rm, rv, False, "(eval on a (1, C, 1, 1) input is fine)")
