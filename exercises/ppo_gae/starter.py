"""PPO pieces: generalised advantage estimation over a rollout with episode ends, and the clipped PPO loss."""

import torch


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    """Generalised advantage estimates.

    rewards, values: (T, ...) float, time first (extra axes: parallel environments); values[t] = V(s_t).
    dones: (T, ...) bool, True when the episode ended with step t (s_{t+1} starts a new episode).
    last_value: (...) V of the state after the last step (used when the rollout was cut mid-episode).
      delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_t) - V(s_t)
      A_t = delta_t + gamma * lam * (1 - done_t) * A_{t+1}
    Returns (advantages, returns) of shape (T, ...), returns = advantages + values.
    """
    raise NotImplementedError


def ppo_loss(logp_new, logp_old, advantages, values_new, returns, clip_eps=0.2, value_coef=0.5):
    """Clipped PPO objective with a value loss; all inputs (N,).

    ratio = exp(logp_new - logp_old)
    policy_loss = -mean(min(ratio * A, clamp(ratio, 1 - clip_eps, 1 + clip_eps) * A))
    value_loss = mean((values_new - returns) ** 2)
    total = policy_loss + value_coef * value_loss. advantages and returns are targets: no gradient flows into them.
    Returns (total, policy_loss, value_loss), scalars.
    """
    raise NotImplementedError
