"""Hidden suite for lr_schedule: warm-up + cosine with a floor and restarts, against a closed form and torch."""

import math

import numpy as np
import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)


def curve(steps, base, warmup, total, floor=0.0, cycles=1, mistake=None):
    """The schedule (or one mistake's version of it) over an array of steps, in float64 numpy."""
    s = np.asarray(steps, np.float64)
    warm = base * ((s + 1) if mistake == "warmup_off_by_one" else s) / max(warmup, 1)
    span = total if mistake == "cosine_over_whole_run" else total - warmup
    start = 0 if mistake == "cosine_over_whole_run" else warmup
    low = 0.0 if mistake == "floor_ignored" else floor
    high = base + floor if mistake == "floor_added_on_top" else base
    with np.errstate(divide="ignore", invalid="ignore"):  # span 0: only masked-out entries are nan
        phase = (s - start) / span if mistake == "restarts_ignored" else np.mod(cycles * (s - start), span) / span
        decay = low + (high - low) * 0.5 * (1 + np.cos(np.pi * phase))
    after = decay if mistake == "no_clamp_after_end" else np.full_like(s, low)
    return np.where(s < warmup, warm, np.where(s >= total, after, decay))


MISTAKES = ("warmup_off_by_one", "floor_ignored", "floor_added_on_top", "cosine_over_whole_run", "no_clamp_after_end",
            "restarts_ignored")


def mine(solution, steps, *args, **kw):
    return np.array([float(solution.lr_at(int(s), *args, **kw)) for s in steps])


def check(solution, steps, base, warmup, total, floor=0.0, cycles=1, what="", use_defaults=False):
    kw = {} if use_defaults else dict(min_lr=floor, cycles=cycles)
    got = mine(solution, steps, base, warmup, total, **kw)
    want = curve(steps, base, warmup, total, floor, cycles)
    wrong = {}
    for m in MISTAKES:
        bad = curve(steps, base, warmup, total, floor, cycles, mistake=m)
        if not np.allclose(bad, want, rtol=1e-9, atol=1e-15):
            wrong[LABELS[m]] = bad
    args = f"base_lr={base}, warmup_steps={warmup}, total_steps={total}, min_lr={floor}, cycles={cycles}"
    assert_close(got, want, rtol=1e-12, atol=1e-15, name=f"lr_at(step) for steps {steps[0]}…{steps[-1]} ({args}){what}",
                 mistakes=wrong)


@pytest.mark.parametrize("base,warmup,total,floor,cycles", [
    (1e-3, 10, 100, 1e-5, 1),
    (0.1, 5, 40, 0.0, 1),
    (3e-4, 2000, 20000, 3e-5, 1),
    (0.5, 4, 34, 0.05, 3),
    (1.0, 0, 12, 0.1, 2),
])
def test_whole_schedule_matches_the_closed_form(solution, base, warmup, total, floor, cycles):
    steps = np.unique(np.concatenate([np.arange(0, min(total, 60) + 1), np.linspace(0, total + 20, 80).astype(int),
                                      [warmup - 1, warmup, warmup + 1, total - 1, total, total + 1]]))
    steps = steps[steps >= 0]
    check(solution, steps, base, warmup, total, floor, cycles)


def test_warmup_starts_at_zero_and_peaks_exactly_at_warmup_steps(solution):
    got = mine(solution, [0, 1, 7, 8, 9], 0.8, 8, 40, min_lr=0.0)
    expected = np.array([0.0, 0.1, 0.7, 0.8, 0.0 + 0.8 * 0.5 * (1 + math.cos(math.pi / 32))])
    assert_close(got, expected, rtol=1e-12, atol=1e-15, name="lr at steps 0, 1, 7, 8, 9 (base 0.8, warm-up 8 of 40)",
                 mistakes={LABELS["warmup_off_by_one"]: curve([0, 1, 7, 8, 9], 0.8, 8, 40, mistake="warmup_off_by_one")})


def test_decay_matches_torch_cosine_annealing(solution):
    base, warmup, total, floor = 0.2, 6, 56, 0.01
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=floor)
    want = []
    for _ in range(total - warmup + 1):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    got = mine(solution, range(warmup, total + 1), base, warmup, total, min_lr=floor)
    assert_close(got, np.array(want), rtol=1e-9, atol=1e-12,
                 name="decay phase against torch's CosineAnnealingLR(T_max = total − warm-up, eta_min = min_lr)")


def test_floor_is_held_after_the_end(solution):
    got = mine(solution, [100, 101, 150, 10_000], 1e-3, 10, 100, min_lr=1e-5)
    assert_close(got, np.full(4, 1e-5), rtol=1e-12, atol=1e-15, name="lr at and after total_steps (must stay at min_lr)",
                 mistakes={LABELS["no_clamp_after_end"]: curve([100, 101, 150, 10_000], 1e-3, 10, 100, 1e-5,
                                                               mistake="no_clamp_after_end"),
                           LABELS["floor_ignored"]: np.zeros(4)})


def test_defaults_no_floor_one_cycle(solution):
    check(solution, np.arange(0, 31), 0.3, 5, 30, what=" with the defaults min_lr=0, cycles=1", use_defaults=True)


def test_each_restart_begins_at_base_lr(solution):
    base, warmup, total, cycles = 0.6, 3, 43, 4  # decay span 40: restarts at steps 3, 13, 23, 33
    got = mine(solution, [3, 13, 23, 33], base, warmup, total, min_lr=0.0, cycles=cycles)
    assert_close(got, np.full(4, base), rtol=1e-12, atol=1e-15, name="lr at the first step of each of 4 cycles",
                 mistakes={LABELS["restarts_ignored"]: curve([3, 13, 23, 33], base, warmup, total,
                                                            mistake="restarts_ignored")})


def test_degenerate_spans(solution):
    check(solution, np.arange(0, 8), 0.5, 5, 5, 0.1, what=" (warm-up as long as the run)")
    check(solution, np.arange(0, 4), 0.5, 0, 1, 0.1, what=" (one step, no warm-up)")
    check(solution, np.arange(0, 6), 0.5, 0, 4, 0.5, what=" (min_lr = base_lr: constant)")


def test_schedule_of_the_variant(solution, variant):
    kw = {k: variant.get(k, v) for k, v in (("base", 2e-4), ("warmup", 50), ("total", 500), ("floor", 2e-5),
                                               ("cycles", 1))}
    steps = np.arange(0, kw["total"] + 10, 7)
    check(solution, steps, kw["base"], kw["warmup"], kw["total"], kw["floor"], kw["cycles"])


def test_bad_arguments_raise_value_error(solution):
    expect_value_error(lambda: solution.lr_at(-1, 0.1, 10, 100), "step = -1")
    expect_value_error(lambda: solution.lr_at(5, 0.1, 200, 100), "warmup_steps > total_steps")
    expect_value_error(lambda: solution.lr_at(5, 0.1, 10, 100, min_lr=0.2), "min_lr > base_lr")
    expect_value_error(lambda: solution.lr_at(5, 0.1, 10, 100, cycles=0), "cycles = 0")
