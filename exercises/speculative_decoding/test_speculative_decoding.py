"""Hidden suite for speculative_decoding: the residual in closed form, and the emitted tokens checked statistically
(fixed seeds) against the target distribution and against the distributions the classic mistakes produce."""

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)
N_TRIALS = 6000
TOL = 0.03  # more than 5 standard deviations of a frequency over 6000 trials

P0 = [0.5, 0.3, 0.15, 0.05]
Q0 = [0.1, 0.2, 0.3, 0.4]


def t(rows):
    return torch.tensor(rows, dtype=F64)


def ref_residual(p, q):
    r = (p - q).clamp(min=0)
    s = r.sum(-1, keepdim=True)
    return torch.where(s > 0, r / torch.where(s > 0, s, torch.ones_like(s)), p)


def first_token_distribution(p, q, mistake=None):
    """Closed form of P(first emitted token = y) for one draft position."""
    r = ref_residual(p, q)
    if mistake == "accept_by_argmax":
        a = int(p.argmax())
        out = (1 - q[a]) * r
        out[a] += q[a]
        return out
    if mistake == "ratio_inverted":
        acc = torch.minimum(torch.ones_like(p), q / p)
        return q * acc + (1 - (q * acc).sum()) * r
    overlap = torch.minimum(p, q)
    if mistake == "resample_from_target":
        return overlap + (1 - overlap.sum()) * p
    return overlap + (1 - overlap.sum()) * r  # = p


def run_trials(solution, p, q, seed, n=N_TRIALS):
    """Draft K tokens from q (the suite's own generator), verify with the solution's; returns drafts and outputs."""
    draft_rng, verify_rng = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    drafts = torch.stack([torch.multinomial(q, 1, replacement=True, generator=draft_rng).squeeze(-1)
                          for _ in range(n)])
    outs = [solution.speculative_step(p, q, d, verify_rng) for d in drafts]
    return drafts, outs


def frequencies(tokens, V):
    return torch.bincount(torch.tensor(tokens, dtype=torch.int64), minlength=V).double() / max(len(tokens), 1)


# --- the residual ---------------------------------------------------------------------------------

def test_residual_is_the_normalised_positive_part(solution):
    p, q = t([P0, [0.25, 0.25, 0.25, 0.25]]), t([Q0, [0.7, 0.1, 0.1, 0.1]])
    got = solution.residual_distribution(p, q)
    assert_close(got, ref_residual(p, q), rtol=1e-12, atol=1e-12, name="residual_distribution on two rows",
                 mistakes={LABELS["residual_not_normalised"]: lambda: (p - q).clamp(min=0)})


def test_residual_of_equal_distributions_is_the_target(solution):
    p = t([P0])
    got = solution.residual_distribution(p, p.clone())
    assert torch.isfinite(got).all(), "residual_distribution(p, p) is NaN: when p <= q everywhere return p"
    assert_close(got, p, rtol=1e-12, atol=1e-12, name="residual_distribution(p, p) (no rejection possible: p)")


# --- deterministic cases --------------------------------------------------------------------------

def test_equal_models_accept_every_draft_and_add_a_bonus(solution):
    p = t([P0, Q0, [0.0, 0.0, 1.0, 0.0]])   # the token after the drafts is certain: 2
    q = p[:2].clone()
    out = solution.speculative_step(p, q, torch.tensor([1, 3]), torch.Generator().manual_seed(0))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.int64, "speculative_step must return an int64 tensor"
    assert out.tolist() == [1, 3, 2], (
        f"p = q at every draft position must accept both drafts [1, 3] and add the bonus token 2 drawn from "
        f"p_target[K]; got {out.tolist()}"
        + (f"\n  this looks like a known mistake: {LABELS['no_bonus_token']}" if out.tolist() == [1, 3] else ""))


def test_a_draft_the_target_rules_out_is_replaced_and_ends_the_step(solution):
    # p gives token 3 probability 0: drafting 3 must be rejected, replaced from the residual (tokens 0 or 1), and stop
    p = t([[0.6, 0.4, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]])
    q = t([[0.2, 0.2, 0.2, 0.4], [0.25, 0.25, 0.25, 0.25]])
    for seed in range(20):
        out = solution.speculative_step(p, q, torch.tensor([3, 0]), torch.Generator().manual_seed(seed)).tolist()
        assert len(out) == 1 and out[0] in (0, 1), (
            f"draft 3 has target probability 0: expected one replacement token from the residual (0 or 1) and then "
            f"stop; got {out}"
            + (f"\n  this looks like a known mistake: {LABELS['continue_after_rejection']}" if len(out) > 1 else ""))


def test_a_seeded_generator_reproduces_the_step(solution):
    p, q = t([P0, P0, P0]), t([Q0, Q0])
    drafts = torch.tensor([3, 2])
    torch.manual_seed(1)
    a = solution.speculative_step(p, q, drafts, torch.Generator().manual_seed(7)).tolist()
    torch.manual_seed(2)
    b = solution.speculative_step(p, q, drafts, torch.Generator().manual_seed(7)).tolist()
    runs = {tuple(solution.speculative_step(p, q, drafts, torch.Generator().manual_seed(7 + i)).tolist())
            for i in range(30)}
    assert a == b, (f"the same seed gave {a} and {b}: draw every random number from the generator argument"
                    f"\n  this looks like a known mistake: {LABELS['global_rng']}")
    assert len(runs) > 1, "30 different seeds all gave the same output: is the step random at all?"


# --- the distribution of the output ---------------------------------------------------------------

def test_first_emitted_token_follows_the_target(solution):
    p, q = t([P0, P0]), t([Q0])
    drafts, outs = run_trials(solution, p, q, 10)
    freq = frequencies([int(o[0]) for o in outs], 4)
    assert_close(freq, p[0], rtol=0, atol=TOL,
                 name=f"frequencies of the first emitted token over {N_TRIALS} steps (must follow p, whatever q)",
                 mistakes={LABELS[m]: (lambda m=m: first_token_distribution(p[0], q[0], m))
                           for m in ("accept_by_argmax", "ratio_inverted", "resample_from_target")})
    accepted = sum(int(o[0]) == int(d[0]) for o, d in zip(outs, drafts)) / N_TRIALS
    want = float(torch.minimum(p[0], q[0]).sum())
    assert abs(accepted - want) <= TOL, (
        f"the first draft was kept in {accepted:.3f} of the steps; expected Σ min(p, q) = {want:.3f}")


def test_tokens_after_an_accepted_draft_follow_the_target(solution):
    p = t([[0.3, 0.3, 0.2, 0.2], [0.1, 0.6, 0.1, 0.2], [0.4, 0.1, 0.4, 0.1]])
    q = t([[0.25, 0.25, 0.25, 0.25], [0.4, 0.1, 0.4, 0.1]])
    drafts, outs = run_trials(solution, p, q, 20)
    second = [int(o[1]) for o, d in zip(outs, drafts) if len(o) > 1 and int(o[0]) == int(d[0])]
    assert len(second) > N_TRIALS // 2, f"only {len(second)} of {N_TRIALS} steps emitted a second token"
    assert_close(frequencies(second, 4), p[1], rtol=0, atol=TOL,
                 name=f"frequencies of the second token after an accepted first draft ({len(second)} steps)",
                 mistakes={LABELS[m]: (lambda m=m: first_token_distribution(p[1], q[1], m))
                           for m in ("accept_by_argmax", "ratio_inverted", "resample_from_target")})
    bonus = [int(o[2]) for o in outs if len(o) == 3]
    assert len(bonus) > 200, (f"only {len(bonus)} steps accepted both drafts and emitted a bonus token"
                              + (f"\n  this looks like a known mistake: {LABELS['no_bonus_token']}" if not bonus else ""))
    assert_close(frequencies(bonus, 4), p[2], rtol=0, atol=0.06,
                 name=f"frequencies of the bonus token ({len(bonus)} steps; must follow p_target[K])")


def test_variant_task(solution, variant):
    # A review may ask a longer draft; the core run: K = 3 drafts from a uniform draft model.
    K = variant.get("k", 3)
    p = t([[0.4, 0.3, 0.2, 0.1]] * (K + 1))
    q = t([[0.25, 0.25, 0.25, 0.25]] * K)
    drafts, outs = run_trials(solution, p, q, 30, n=3000)
    assert all(1 <= len(o) <= K + 1 for o in outs), f"every step must emit between 1 and K + 1 = {K + 1} tokens"
    assert_close(frequencies([int(o[0]) for o in outs], 4), p[0], rtol=0, atol=0.04,
                 name=f"first emitted token with K = {K} drafts (3000 steps)",
                 mistakes={LABELS[m]: (lambda m=m: first_token_distribution(p[0], q[0], m))
                           for m in ("accept_by_argmax", "ratio_inverted", "resample_from_target")})
