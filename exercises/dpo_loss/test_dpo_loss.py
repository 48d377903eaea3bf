"""Hidden suite for dpo_loss: sequence log-probs and the DPO loss against float64 references written here
(per-token loops and the closed form)."""

import math

import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

F64 = torch.float64
LABELS = mistake_labels(__file__)
SEQ_MISTAKES = ["mean_over_tokens", "prompt_counted", "no_shift"]
LOSS_MISTAKES = ["reference_sign", "loss_summed"]
REWARD_MISTAKES = ["rewards_without_beta"]


def ref_seq_logprobs(logits, ids, mask, mistake=None):
    """Per-token loop: token t (t >= 1) scored by logits[:, t - 1]; only where mask is 1."""
    logits = logits.double()
    B, L, _ = logits.shape
    out = []
    for b in range(B):
        total, count = logits.new_zeros(()), 0
        for t in range(L):
            src = t if mistake == "no_shift" else t - 1
            if src < 0 or (mistake != "prompt_counted" and not mask[b, t]):
                continue
            total = total + torch.log_softmax(logits[b, src], -1)[ids[b, t]]
            count += 1
        out.append(total / count if mistake == "mean_over_tokens" else total)
    return torch.stack(out)


def ref_dpo(pc, pr, rc, rr, beta=0.1, mistake=None):
    pc, pr, rc, rr = (t.double() for t in (pc, pr, rc, rr))
    sign = 1 if mistake == "reference_sign" else -1
    margin = beta * ((pc + sign * rc) - (pr + sign * rr))
    per_pair = torch.nn.functional.softplus(-margin)  # = −log σ(margin), stable
    loss = per_pair.sum() if mistake == "loss_summed" else per_pair.mean()
    scale = 1.0 if mistake == "rewards_without_beta" else beta
    return loss, scale * (pc - rc), scale * (pr - rr)


def batch(seed, B=3, L=8, V=6, prompt=(2, 3, 1), response=(4, 2, 5)):
    """Random ids and logits; row b: a prompt of prompt[b] tokens, response[b] response tokens, then padding."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, V, (B, L), generator=g)
    logits = 2 * torch.randn(B, L, V, generator=g, dtype=F64)
    mask = torch.zeros(B, L, dtype=torch.long)
    for b in range(B):
        mask[b, prompt[b]:prompt[b] + response[b]] = 1
    return logits, ids, mask


def seq_mistakes(logits, ids, mask):
    return {LABELS[m]: (lambda m=m: ref_seq_logprobs(logits, ids, mask, m)) for m in SEQ_MISTAKES}


def logps(seed, B=4, scale=20.0):
    g = torch.Generator().manual_seed(seed)
    return [-scale * torch.rand(B, generator=g, dtype=F64) - 1 for _ in range(4)]


# --- sequence log-probs ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape", [(0, dict()), (1, dict(B=2, L=6, V=4, prompt=(1, 2), response=(5, 3))),
                                        (2, dict(B=1, L=5, V=7, prompt=(4,), response=(1,)))])
def test_sequence_logprobs_sum_response_tokens_only(solution, seed, shape):
    logits, ids, mask = batch(seed, **shape)
    got = solution.sequence_logprobs(logits, ids, mask)
    assert_close(got, ref_seq_logprobs(logits, ids, mask), rtol=1e-10, atol=1e-10,
                 name="sequence_logprobs (prompts of unequal length, padded responses)",
                 mistakes=seq_mistakes(logits, ids, mask))


def test_padding_and_prompt_do_not_change_the_score(solution):
    logits, ids, mask = batch(3)
    base = solution.sequence_logprobs(logits, ids, mask)
    logits2, ids2 = logits.clone(), ids.clone()
    # change the logits that score prompt tokens and padding, and the padded ids themselves
    for b in range(3):
        on = mask[b].nonzero().flatten()
        first, last = int(on[0]), int(on[-1])
        logits2[b, : first - 1] += 7.0
        logits2[b, last:] -= 5.0
        ids2[b, last + 1:] = (ids2[b, last + 1:] + 1) % 6
    assert_close(solution.sequence_logprobs(logits2, ids2, mask), base, rtol=1e-10, atol=1e-10,
                 name="score after changing only prompt-position logits and padding (must not change)",
                 mistakes={LABELS["prompt_counted"]: lambda: ref_seq_logprobs(logits2, ids2, mask, "prompt_counted")})


def test_sequence_logprobs_gradient(solution):
    logits0, ids, mask = batch(4)
    got = logits0.clone().requires_grad_()
    solution.sequence_logprobs(got, ids, mask).sum().backward()
    ref = logits0.clone().requires_grad_()
    ref_seq_logprobs(ref, ids, mask).sum().backward()
    assert got.grad is not None, "no gradient reached the logits"
    assert_close(got.grad, ref.grad, rtol=1e-10, atol=1e-12, name="d Σ log p / d logits")


def test_half_precision_logits_are_scored_in_float32(solution):
    logits, ids, mask = batch(5, B=2, L=40, V=50, prompt=(3, 5), response=(30, 34))
    got = solution.sequence_logprobs(logits.to(torch.bfloat16), ids, mask)
    want = ref_seq_logprobs(logits.to(torch.bfloat16), ids, mask)
    assert_close(got, want, rtol=2e-5, atol=1e-4, name="sequence_logprobs on bfloat16 logits (log-softmax in float32)",
                 mistakes=seq_mistakes(logits.to(torch.bfloat16), ids, mask))


# --- the loss -------------------------------------------------------------------------------------

@pytest.mark.parametrize("beta,seed", [(0.1, 10), (0.5, 11), (1.0, 12), (0.01, 13)])
def test_dpo_loss_and_rewards(solution, beta, seed):
    pc, pr, rc, rr = logps(seed)
    loss, chosen, rejected = solution.dpo_loss(pc, pr, rc, rr, beta=beta)
    want = ref_dpo(pc, pr, rc, rr, beta)
    assert_close(loss, want[0], rtol=1e-10, atol=1e-12, name=f"DPO loss (beta={beta})",
                 mistakes={LABELS[m]: (lambda m=m: ref_dpo(pc, pr, rc, rr, beta, m)[0]) for m in LOSS_MISTAKES})
    for name, got, i in (("chosen_rewards", chosen, 1), ("rejected_rewards", rejected, 2)):
        assert_close(got, want[i], rtol=1e-10, atol=1e-12, name=f"{name} (beta={beta})",
                     mistakes={LABELS[m]: (lambda m=m, i=i: ref_dpo(pc, pr, rc, rr, beta, m)[i])
                               for m in REWARD_MISTAKES + ["reference_sign"]})


def test_dpo_default_beta(solution):
    pc, pr, rc, rr = logps(14)
    loss, _, _ = solution.dpo_loss(pc, pr, rc, rr)
    assert_close(loss, ref_dpo(pc, pr, rc, rr)[0], rtol=1e-10, atol=1e-12, name="DPO loss with the default beta 0.1",
                 mistakes={LABELS[m]: (lambda m=m: ref_dpo(pc, pr, rc, rr, 0.1, m)[0]) for m in LOSS_MISTAKES})


def test_policy_equal_to_reference_gives_log_2(solution):
    pc, pr, _, _ = logps(15)
    loss, chosen, rejected = solution.dpo_loss(pc, pr, pc.clone(), pr.clone(), beta=0.3)
    assert_close(loss, torch.tensor(math.log(2), dtype=F64), rtol=1e-12, atol=1e-12,
                 name="DPO loss when the policy equals the reference (must be log 2: every margin is 0)",
                 mistakes={LABELS["reference_sign"]: lambda: ref_dpo(pc, pr, pc, pr, 0.3, "reference_sign")[0]})
    assert_close(chosen, torch.zeros(4, dtype=F64), rtol=0, atol=1e-12, name="chosen rewards at the reference")
    assert_close(rejected, torch.zeros(4, dtype=F64), rtol=0, atol=1e-12, name="rejected rewards at the reference")


def test_large_margins_stay_finite(solution):
    pc = torch.tensor([-10.0, -9000.0, -5.0], dtype=F64, requires_grad=True)
    pr = torch.tensor([-9000.0, -10.0, -5.0], dtype=F64, requires_grad=True)
    rc = torch.tensor([-50.0, -50.0, -5.0], dtype=F64)
    rr = torch.tensor([-50.0, -50.0, -5.0], dtype=F64)
    loss, _, _ = solution.dpo_loss(pc, pr, rc, rr, beta=1.0)
    assert torch.isfinite(loss), ("DPO loss is inf/NaN for a margin of −8990: use logsigmoid (or softplus), never "
                                  f"log(sigmoid(x))\n  this looks like a known mistake: {LABELS['unstable_log_sigmoid']}")
    assert_close(loss, ref_dpo(pc, pr, rc, rr, 1.0)[0], rtol=1e-10, atol=1e-10, name="DPO loss with margins of ±8990")
    loss.backward()
    assert torch.isfinite(pc.grad).all() and torch.isfinite(pr.grad).all(), "NaN gradient for large margins"


def test_gradients_flow_to_the_policy_only(solution):
    pc0, pr0, rc, rr = logps(16)
    pc, pr = pc0.clone().requires_grad_(), pr0.clone().requires_grad_()
    rc, rr = rc.clone().requires_grad_(), rr.clone().requires_grad_()
    loss, chosen, rejected = solution.dpo_loss(pc, pr, rc, rr, beta=0.2)
    assert not chosen.requires_grad and not rejected.requires_grad, (
        "the implicit rewards require grad: return them detached (they are for logging)"
        + f"\n  this looks like a known mistake: {LABELS['rewards_attached']}")
    loss.backward()
    want = [t.clone().requires_grad_() for t in (pc0, pr0)]
    ref_dpo(want[0], want[1], rc.detach(), rr.detach(), 0.2)[0].backward()
    assert_close(pc.grad, want[0].grad, rtol=1e-10, atol=1e-12, name="d loss / d policy_chosen")
    assert_close(pr.grad, want[1].grad, rtol=1e-10, atol=1e-12, name="d loss / d policy_rejected")


def test_end_to_end_from_logits(solution):
    # chosen and rejected responses of different lengths, scored by a policy and a reference model
    pieces = [batch(s, B=2, L=7, V=5, prompt=(2, 3), response=(r, 7 - 3 - r % 3)) for s, r in
              ((20, 4), (21, 2), (22, 5), (23, 3))]
    got = [solution.sequence_logprobs(*p) for p in pieces]
    want = [ref_seq_logprobs(*p) for p in pieces]
    loss, _, _ = solution.dpo_loss(*got, beta=0.1)
    assert_close(loss, ref_dpo(*want, 0.1)[0], rtol=1e-10, atol=1e-12,
                 name="DPO loss from logits (sequence_logprobs, then dpo_loss)",
                 mistakes={LABELS[m]: (lambda m=m: ref_dpo(*[ref_seq_logprobs(*p, m) for p in pieces], 0.1)[0])
                           for m in SEQ_MISTAKES})


def test_variant_task(solution, variant):
    # A review may ask another beta; the core run: beta 0.1.
    beta = variant.get("beta", 0.1)
    pc, pr, rc, rr = logps(30)
    loss, chosen, _ = solution.dpo_loss(pc, pr, rc, rr, beta=beta)
    want = ref_dpo(pc, pr, rc, rr, beta)
    assert_close(loss, want[0], rtol=1e-10, atol=1e-12, name=f"DPO loss (beta={beta})",
                 mistakes={LABELS[m]: (lambda m=m: ref_dpo(pc, pr, rc, rr, beta, m)[0]) for m in LOSS_MISTAKES})
    assert_close(chosen, want[1], rtol=1e-10, atol=1e-12, name=f"chosen rewards (beta={beta})")
