"""Correct alternative for dpo_loss: one-hot selection of the next token, softplus form of the loss."""

import torch
import torch.nn.functional as F


def sequence_logprobs(logits, input_ids, response_mask):
    work = logits.double() if logits.dtype == torch.float64 else logits.float()
    logp = work - torch.logsumexp(work, dim=-1, keepdim=True)          # (B, L, V)
    nxt = F.one_hot(input_ids.roll(-1, dims=1), logp.shape[-1]).to(logp.dtype)
    per_token = (logp * nxt).sum(-1)[:, :-1]                            # position t scores token t + 1
    weights = response_mask.roll(-1, dims=1)[:, :-1].to(logp.dtype)
    return torch.einsum("bt,bt->b", per_token, weights)


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    chosen_ratio = policy_chosen - ref_chosen
    rejected_ratio = policy_rejected - ref_rejected
    loss = F.softplus(beta * (rejected_ratio - chosen_ratio)).mean()
    with torch.no_grad():
        return loss, beta * chosen_ratio, beta * rejected_ratio
