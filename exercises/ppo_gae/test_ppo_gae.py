"""Hidden suite for ppo_gae: GAE against a per-step float64 loop and the PPO loss against its closed form (both here)."""

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)
GAE_MISTAKES = ["no_reset_at_terminal", "bootstrap_from_terminal", "last_value_ignored", "lambda_without_gamma",
                "returns_without_values"]
LOSS_MISTAKES = ["min_max_swapped", "ratio_of_logprobs"]


def ref_gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95, mistake=None):
    """Scalar loops per environment column; time is axis 0."""
    r, v, d = rewards.double(), values.double(), dones.bool()
    T = r.shape[0]
    flat_r, flat_v, flat_d = r.reshape(T, -1), v.reshape(T, -1), d.reshape(T, -1)
    last = last_value.double().reshape(-1)
    adv = torch.zeros_like(flat_v)
    for n in range(flat_v.shape[1]):
        running = 0.0
        for t in reversed(range(T)):
            end = bool(flat_d[t, n])
            nxt = float(flat_v[t + 1, n]) if t + 1 < T else (0.0 if mistake == "last_value_ignored" else float(last[n]))
            keep_next = 1.0 if mistake == "bootstrap_from_terminal" else float(not end)
            delta = float(flat_r[t, n]) + gamma * nxt * keep_next - float(flat_v[t, n])
            carry = 1.0 if mistake == "no_reset_at_terminal" else float(not end)
            running = delta + (lam if mistake == "lambda_without_gamma" else gamma * lam) * carry * running
            adv[t, n] = running
    adv = adv.reshape(v.shape)
    return adv, (adv.clone() if mistake == "returns_without_values" else adv + v)


def ref_ppo(logp_new, logp_old, adv, values_new, returns, clip_eps=0.2, value_coef=0.5, mistake=None):
    ratio = logp_new / logp_old if mistake == "ratio_of_logprobs" else torch.exp(logp_new - logp_old)
    a, b = ratio * adv, ratio.clamp(1 - clip_eps, 1 + clip_eps) * adv
    policy = -(torch.max(a, b) if mistake == "min_max_swapped" else torch.min(a, b)).mean()
    value = ((values_new - returns) ** 2).mean()
    return policy + value_coef * value, policy, value


def rollout(seed, T, *env, p_done=0.2):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(T, *env, generator=g, dtype=F64)
    values = torch.randn(T, *env, generator=g, dtype=F64)
    dones = torch.rand(T, *env, generator=g) < p_done
    last_value = torch.randn(env, generator=g, dtype=F64)
    return rewards, values, dones, last_value


def gae_mistakes(data, i, **kw):
    return {LABELS[m]: (lambda m=m: ref_gae(*data, mistake=m, **kw)[i]) for m in GAE_MISTAKES}


def check_gae(solution, data, what, **kw):
    got = solution.gae(*data, **kw)
    assert isinstance(got, tuple) and len(got) == 2, "gae must return (advantages, returns)"
    want = ref_gae(*data, **kw)
    assert_close(got[0], want[0], rtol=1e-10, atol=1e-12, name=f"{what}: advantages", mistakes=gae_mistakes(data, 0, **kw))
    assert_close(got[1], want[1], rtol=1e-10, atol=1e-12, name=f"{what}: returns", mistakes=gae_mistakes(data, 1, **kw))


# --- GAE ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("T,env,gamma,lam,seed", [
    (12, (), 0.99, 0.95, 0), (9, (3,), 0.9, 0.8, 1), (7, (2, 2), 0.5, 1.0, 2), (10, (4,), 0.99, 0.0, 3),
])
def test_gae_matches_reference(solution, T, env, gamma, lam, seed):
    check_gae(solution, rollout(seed, T, *env), f"gae (T={T}, envs {env}, gamma={gamma}, lam={lam})",
              gamma=gamma, lam=lam)


def test_gae_defaults(solution):
    check_gae(solution, rollout(4, 10, 2), "gae with the defaults gamma=0.99, lam=0.95")


def test_episode_end_cuts_the_recursion(solution):
    # 5 steps, the episode ends after step 2; rewards only in the second episode.
    rewards = torch.tensor([0.0, 0.0, 0.0, 5.0, 5.0], dtype=F64)
    values = torch.zeros(5, dtype=F64)
    dones = torch.tensor([False, False, True, False, False])
    data = (rewards, values, dones, torch.tensor(0.0, dtype=F64))
    adv, _ = solution.gae(*data, gamma=0.9, lam=0.9)
    assert_close(adv[:3], torch.zeros(3, dtype=F64), rtol=0, atol=1e-12,
                 name="advantages of the first episode (its rewards are all 0; the next episode must not leak in)",
                 mistakes={LABELS["no_reset_at_terminal"]: lambda: ref_gae(*data, 0.9, 0.9, "no_reset_at_terminal")[0][:3]})
    check_gae(solution, data, "gae with one episode end", gamma=0.9, lam=0.9)


def test_terminal_step_does_not_bootstrap(solution):
    # a single terminal step: A = r − V(s), whatever the value of the next state
    data = (torch.tensor([1.0, 2.0], dtype=F64), torch.tensor([0.5, 0.25], dtype=F64), torch.tensor([True, True]),
            torch.tensor(100.0, dtype=F64))
    adv, _ = solution.gae(*data)
    assert_close(adv, torch.tensor([0.5, 1.75], dtype=F64), rtol=1e-12, atol=1e-12,
                 name="advantages of two one-step episodes (r − V, no bootstrap)",
                 mistakes={LABELS[m]: (lambda m=m: ref_gae(*data, mistake=m)[0]) for m in GAE_MISTAKES})


def test_truncated_rollout_bootstraps_from_last_value(solution):
    data = (torch.zeros(3, dtype=F64), torch.zeros(3, dtype=F64), torch.zeros(3, dtype=torch.bool),
            torch.tensor(10.0, dtype=F64))
    check_gae(solution, data, "a rollout cut mid-episode (only last_value = 10 carries value)")


def test_lambda_one_gives_discounted_returns_minus_values(solution):
    rewards, values, _, last = rollout(5, 8)
    dones = torch.zeros(8, dtype=torch.bool)
    adv, ret = solution.gae(rewards, values, dones, last, gamma=0.9, lam=1.0)
    mc, acc = torch.zeros(8, dtype=F64), float(last)
    for t in reversed(range(8)):
        acc = float(rewards[t]) + 0.9 * acc
        mc[t] = acc
    assert_close(ret, mc, rtol=1e-10, atol=1e-12, name="returns with lam = 1 (discounted rewards-to-go + γ^k·last_value)",
                 mistakes=gae_mistakes((rewards, values, dones, last), 1, gamma=0.9, lam=1.0))


def test_gae_float32(solution):
    data = tuple(t.float() if t.is_floating_point() else t for t in rollout(6, 16, 3))
    adv, ret = solution.gae(*data)
    assert adv.dtype == torch.float32, f"float32 inputs gave {adv.dtype} advantages"
    want = ref_gae(*data)
    assert_close(adv, want[0], rtol=1e-4, atol=1e-5, name="float32 advantages")
    assert_close(ret, want[1], rtol=1e-4, atol=1e-5, name="float32 returns")


# --- PPO loss -------------------------------------------------------------------------------------

def ppo_batch(seed, n=64, spread=0.5):
    g = torch.Generator().manual_seed(seed)
    logp_old = -torch.rand(n, generator=g, dtype=F64) * 3 - 0.1
    logp_new = logp_old + spread * torch.randn(n, generator=g, dtype=F64)
    adv = torch.randn(n, generator=g, dtype=F64)
    values_new, returns = torch.randn(n, generator=g, dtype=F64), torch.randn(n, generator=g, dtype=F64)
    return logp_new, logp_old, adv, values_new, returns


@pytest.mark.parametrize("clip_eps,value_coef,seed", [(0.2, 0.5, 10), (0.1, 1.0, 11), (0.3, 0.0, 12)])
def test_ppo_loss_matches_closed_form(solution, clip_eps, value_coef, seed):
    data = ppo_batch(seed)
    got = solution.ppo_loss(*data, clip_eps=clip_eps, value_coef=value_coef)
    want = ref_ppo(*data, clip_eps, value_coef)
    for i, part in enumerate(("total", "policy_loss", "value_loss")):
        assert_close(got[i], want[i], rtol=1e-10, atol=1e-12, name=f"{part} (clip_eps={clip_eps}, value_coef={value_coef})",
                     mistakes={LABELS[m]: (lambda m=m, i=i: ref_ppo(*data, clip_eps, value_coef, m)[i])
                               for m in LOSS_MISTAKES})


def test_ppo_loss_defaults(solution):
    data = ppo_batch(13)
    got = solution.ppo_loss(*data)
    assert_close(got[0], ref_ppo(*data)[0], rtol=1e-10, atol=1e-12, name="total loss with clip_eps=0.2, value_coef=0.5",
                 mistakes={LABELS[m]: (lambda m=m: ref_ppo(*data, mistake=m)[0]) for m in LOSS_MISTAKES})


def test_clipping_stops_the_gradient_outside_the_trust_region(solution):
    # ratio 2 with A > 0 (clipped at 1.2: no gradient), ratio 0.5 with A > 0 (unclipped side is smaller: gradient)
    logp_old = torch.log(torch.tensor([0.2, 0.4, 0.3, 0.3], dtype=F64))
    logp_new = (logp_old + torch.log(torch.tensor([2.0, 0.5, 2.0, 0.5], dtype=F64))).requires_grad_()
    adv = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=F64)
    _, policy, _ = solution.ppo_loss(logp_new, logp_old, adv, torch.zeros(4, dtype=F64), torch.zeros(4, dtype=F64))
    policy.backward()
    want = torch.tensor([0.0, -0.5 / 4, 2.0 / 4, 0.0], dtype=F64)
    assert_close(logp_new.grad, want, rtol=1e-10, atol=1e-12,
                 name="d policy_loss / d logp_new for ratios (2, 0.5, 2, 0.5) and advantages (+, +, −, −)",
                 mistakes={LABELS["min_max_swapped"]: lambda: torch.tensor([-0.5, 0.0, 0.0, 0.5 / 4], dtype=F64)})


def test_no_gradient_into_advantages_or_returns(solution):
    critic = torch.randn(6, dtype=F64, requires_grad=True)
    rewards, _, dones, last = rollout(14, 6)
    adv, ret = solution.gae(rewards, critic, dones, last.detach())
    data = ppo_batch(15, n=6)
    values_new = data[3].clone().requires_grad_()
    total, _, _ = solution.ppo_loss(data[0], data[1], adv, values_new, ret)
    total.backward()
    assert critic.grad is None or not critic.grad.any(), (
        "the PPO loss sent gradients into the critic through the advantages/returns: they are targets, detach them"
        + f"\n  this looks like a known mistake: {LABELS['advantages_not_detached']}")
    assert values_new.grad is not None and values_new.grad.any(), "no gradient reached values_new"


def test_large_log_ratio_stays_finite(solution):
    data = list(ppo_batch(16))
    data[0] = data[1] + torch.linspace(-30, 30, 64, dtype=F64)
    got = solution.ppo_loss(*data)
    assert torch.isfinite(got[0]), "total loss is inf/NaN for log-ratios of ±30"
    assert_close(got[1], ref_ppo(*data)[1], rtol=1e-9, atol=1e-9, name="policy loss for log-ratios of ±30")


def test_variant_task(solution, variant):
    # A review may ask pure TD advantages (lam = 0) or a tighter clip; the core run: lam 0.95, clip 0.2.
    lam, clip_eps = variant.get("lam", 0.95), variant.get("clip_eps", 0.2)
    check_gae(solution, rollout(17, 10, 2), f"gae (lam={lam})", lam=lam)
    data = ppo_batch(18)
    got = solution.ppo_loss(*data, clip_eps=clip_eps)
    assert_close(got[1], ref_ppo(*data, clip_eps)[1], rtol=1e-10, atol=1e-12, name=f"policy loss (clip_eps={clip_eps})",
                 mistakes={LABELS[m]: (lambda m=m: ref_ppo(*data, clip_eps, mistake=m)[1]) for m in LOSS_MISTAKES})
