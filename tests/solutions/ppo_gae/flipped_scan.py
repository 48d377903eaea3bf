"""Correct alternative for ppo_gae: the backward recursion over time-flipped tensors, float64 inside."""

import torch


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    r, v, lv = rewards.double(), values.double(), last_value.double()
    cont = 1.0 - dones.double()
    boot = torch.cat([v[1:], lv.unsqueeze(0)], 0)
    deltas = (r + gamma * cont * boot - v).flip(0)
    carry = (gamma * lam * cont).flip(0)
    out, acc = [], torch.zeros_like(lv)
    for delta, c in zip(deltas, carry):
        acc = delta + c * acc
        out.append(acc)
    adv = torch.stack(out).flip(0).to(values.dtype)
    return adv, (adv + values)


def ppo_loss(logp_new, logp_old, advantages, values_new, returns, clip_eps=0.2, value_coef=0.5):
    with torch.no_grad():
        adv, target = advantages.clone(), returns.clone()
    ratio = torch.exp(logp_new - logp_old)
    surrogate = torch.stack([ratio * adv, ratio.clamp(1.0 - clip_eps, 1.0 + clip_eps) * adv]).amin(0)
    policy_loss = -surrogate.mean()
    value_loss = torch.nn.functional.mse_loss(values_new, target)
    return policy_loss + value_coef * value_loss, policy_loss, value_loss
