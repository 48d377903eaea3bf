"""Correct alternative for ppo_gae: GAE as an explicit sum of discounted TD errors within each episode; the
PPO objective written with torch.where on the sign of the advantage."""

import torch


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    T = rewards.shape[0]
    v_next = torch.cat([values[1:], last_value[None]])
    live = (~dones.bool()).to(values.dtype)
    delta = rewards + gamma * live * v_next - values
    adv = []
    for t in range(T):
        total, weight = torch.zeros_like(last_value), torch.ones_like(last_value)
        for s in range(t, T):
            total = total + weight * delta[s]
            weight = weight * gamma * lam * live[s]   # becomes 0 after an episode end
        adv.append(total)
    adv = torch.stack(adv)
    return adv, adv + values


def ppo_loss(logp_new, logp_old, advantages, values_new, returns, clip_eps=0.2, value_coef=0.5):
    a = advantages.detach()
    ratio = (logp_new - logp_old).exp()
    # for A >= 0 the pessimistic term caps the ratio at 1 + eps, for A < 0 it floors it at 1 - eps
    capped = torch.where(a >= 0, torch.minimum(ratio, torch.full_like(ratio, 1 + clip_eps)),
                         torch.maximum(ratio, torch.full_like(ratio, 1 - clip_eps)))
    policy = -(capped * a).mean()
    value = (values_new - returns.detach()).pow(2).mean()
    return policy + value_coef * value, policy, value
