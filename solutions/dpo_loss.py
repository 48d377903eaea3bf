"""Reference solution for the `dpo_loss` exercise: sequence log-probabilities and the DPO loss with implicit rewards."""

import torch
import torch.nn.functional as F


def sequence_logprobs(logits, input_ids, response_mask):
    """(B, L, V) logits of a causal LM on input_ids (B, L) -> (B,) summed log-probs of the response tokens.

    logits[:, t] predicts input_ids[:, t + 1]; token t counts when response_mask[:, t] is 1.
    """
    # half-precision logits are scored in float32: log-probs summed over hundreds of tokens
    logp = torch.log_softmax(logits[:, :-1].to(torch.promote_types(logits.dtype, torch.float32)), dim=-1)
    targets = input_ids[:, 1:]
    token_logp = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    mask = response_mask[:, 1:].to(token_logp.dtype)
    return (token_logp * mask).sum(-1)


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    """All (B,) sequence log-probs -> (loss, chosen_rewards, rejected_rewards)."""
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    loss = -F.logsigmoid(margin).mean()
    chosen_rewards = (beta * (policy_chosen - ref_chosen)).detach()
    rejected_rewards = (beta * (policy_rejected - ref_rejected)).detach()
    return loss, chosen_rewards, rejected_rewards
