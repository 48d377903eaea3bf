"""Correct alternative for dpo_loss: a loop over rows and response positions, logaddexp form of the loss."""

import torch


def sequence_logprobs(logits, input_ids, response_mask):
    rows = []
    for b in range(logits.shape[0]):
        positions = [t for t in range(1, logits.shape[1]) if int(response_mask[b, t]) == 1]
        if not positions:
            rows.append(logits.new_zeros((), dtype=torch.promote_types(logits.dtype, torch.float32)))
            continue
        src = torch.tensor([t - 1 for t in positions])
        scores = torch.log_softmax(logits[b, src].to(torch.promote_types(logits.dtype, torch.float32)), dim=-1)
        rows.append(scores[torch.arange(len(positions)), input_ids[b, positions]].sum())
    return torch.stack(rows)


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    margin = beta * (policy_chosen - policy_rejected - ref_chosen + ref_rejected)
    # −log σ(m) = log(1 + e^(−m)) = logaddexp(0, −m)
    loss = torch.logaddexp(torch.zeros_like(margin), -margin).mean()
    return loss, (beta * (policy_chosen - ref_chosen)).detach(), (beta * (policy_rejected - ref_rejected)).detach()
