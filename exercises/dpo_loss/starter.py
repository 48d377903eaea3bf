"""Direct preference optimisation: sequence log-probabilities of responses, the DPO loss and implicit rewards."""

import torch
import torch.nn.functional as F


def sequence_logprobs(logits, input_ids, response_mask):
    """Summed log-probability of the response tokens under a causal LM.

    logits: (B, L, V) the model's output on input_ids (B, L) int64; logits[:, t] predicts input_ids[:, t + 1].
    response_mask: (B, L), 1 where input_ids is a response token to score (0 on prompt and padding).
    Returns (B,): sum over t of response_mask[:, t] * log softmax(logits[:, t - 1])[input_ids[:, t]].
    float16/bfloat16 logits: compute the log-softmax in float32. Differentiable.
    """
    raise NotImplementedError


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1):
    """DPO from (B,) sequence log-probs of the chosen and rejected responses under the policy and the reference.

    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    loss = mean over the batch of -log sigmoid(margin)   (a scalar; stable for any margin)
    chosen_rewards = beta * (policy_chosen - ref_chosen), rejected_rewards likewise, both detached.
    Returns (loss, chosen_rewards, rejected_rewards).
    """
    raise NotImplementedError
