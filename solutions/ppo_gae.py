"""Reference solution for the `ppo_gae` exercise: GAE over a rollout with episode ends, the PPO clipped loss."""

import torch


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    """rewards, values, dones: (T, ...) with time first; last_value: V of the state after step T-1, shape (...)."""
    not_done = 1.0 - dones.to(values.dtype)
    next_values = torch.cat([values[1:], last_value.unsqueeze(0)], dim=0)
    deltas = rewards + gamma * next_values * not_done - values
    advantages = torch.zeros_like(values)
    running = torch.zeros_like(last_value)
    for t in reversed(range(values.shape[0])):
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    return advantages, advantages + values


def ppo_loss(logp_new, logp_old, advantages, values_new, returns, clip_eps=0.2, value_coef=0.5):
    """-> (total, policy_loss, value_loss); advantages and returns are targets, no gradient flows into them."""
    advantages, returns = advantages.detach(), returns.detach()
    ratio = torch.exp(logp_new - logp_old)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages
    policy_loss = -torch.min(unclipped, clipped).mean()
    value_loss = ((values_new - returns) ** 2).mean()
    return policy_loss + value_coef * value_loss, policy_loss, value_loss
