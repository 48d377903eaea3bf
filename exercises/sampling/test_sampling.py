"""Hidden suite for sampling: filters against a float64 numpy reference, draws checked statistically with fixed
seeds, beam search against a reference search over a toy bigram model (all written here)."""

import math

import numpy as np
import pytest
import torch

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)
FILTER_MISTAKES = ["top_p_drops_crossing_token", "temperature_after_softmax", "not_renormalised", "top_k_off_by_one"]
BEAM_MISTAKES = ["beam_no_length_penalty", "beam_length_counts_bos", "beam_greedy_per_hypothesis",
                 "beam_stops_at_first_eos"]


def ref_filter_row(z, temperature=1.0, top_k=None, top_p=None, mistake=None):
    z = np.asarray(z, dtype=np.float64)
    if temperature == 0:
        out = np.zeros_like(z)
        out[int(np.argmax(z))] = 1.0
        return out
    t = 1.0 if mistake == "temperature_after_softmax" else temperature
    p = np.exp((z - z.max()) / t)
    p /= p.sum()
    if mistake == "temperature_after_softmax":
        p = p / temperature
    renorm = (lambda q: q) if mistake == "not_renormalised" else (lambda q: q / q.sum())
    if top_k is not None:
        kth = np.sort(p)[::-1][min(top_k, len(p)) - 1]
        p = renorm(np.where(p > kth if mistake == "top_k_off_by_one" else p >= kth, p, 0.0))
    if top_p is not None:
        order = np.argsort(-p, kind="stable")
        kept, mass = np.zeros(len(p), dtype=bool), 0.0
        for i in order:
            crossing_kept = mistake != "top_p_drops_crossing_token"
            if (mass < top_p) if crossing_kept else (mass + p[i] <= top_p):
                kept[i] = True
            mass += p[i]
        p = renorm(np.where(kept, p, 0.0))
    return p


def ref_filter(logits, mistake=None, **kw):
    z = logits.double().numpy()
    rows = [ref_filter_row(r, mistake=mistake, **kw) for r in z.reshape(-1, z.shape[-1])]
    return torch.from_numpy(np.stack(rows).reshape(z.shape))


def filter_mistakes(logits, **kw):
    return {LABELS[m]: (lambda m=m: ref_filter(logits, mistake=m, **kw)) for m in FILTER_MISTAKES}


def logits_of(seed, *shape, scale=2.0):
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# --- sample_filter --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,temperature,top_k,top_p,seed", [
    ((7,), 1.0, None, None, 0),
    ((3, 8), 0.5, None, None, 1),
    ((2, 3, 6), 2.0, 3, None, 2),
    ((4, 9), 1.0, None, 0.6, 3),
    ((5, 10), 0.7, 4, 0.8, 4),
    ((6,), 1.5, 1, None, 5),
    ((3, 5), 1.0, 10, 0.95, 6),
])
def test_filter_matches_reference(solution, shape, temperature, top_k, top_p, seed):
    logits = logits_of(seed, *shape)
    kw = dict(temperature=temperature, top_k=top_k, top_p=top_p)
    got = solution.sample_filter(logits, **kw)
    assert_close(got, ref_filter(logits, **kw), rtol=1e-9, atol=1e-12,
                 name=f"sample_filter on {shape} ({kw})", mistakes=filter_mistakes(logits, **kw))


def test_filter_defaults_are_the_plain_softmax(solution):
    logits = logits_of(7, 4, 6)
    assert_close(solution.sample_filter(logits), torch.softmax(logits, -1), rtol=1e-9, atol=1e-12,
                 name="sample_filter(logits) with the defaults (temperature 1, no top-k, no top-p)",
                 mistakes=filter_mistakes(logits))


@pytest.mark.parametrize("top_p,want", [(0.6, [0.625, 0.375, 0.0]), (0.79, [0.625, 0.375, 0.0]),
                                        (0.81, [0.5, 0.3, 0.2]), (0.3, [1.0, 0.0, 0.0])])
def test_top_p_keeps_the_token_that_crosses_p(solution, top_p, want):
    logits = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64).log()
    got = solution.sample_filter(logits, top_p=top_p)
    assert_close(got, torch.tensor(want, dtype=torch.float64), rtol=1e-9, atol=1e-12,
                 name=f"top_p={top_p} on probabilities [0.5, 0.3, 0.2] (keep the smallest set whose mass reaches p)",
                 mistakes=filter_mistakes(logits, top_p=top_p))


def test_temperature_zero_is_greedy(solution):
    logits = logits_of(8, 3, 7)
    want = torch.nn.functional.one_hot(logits.argmax(-1), 7).double()
    got = solution.sample_filter(logits, temperature=0)
    assert torch.isfinite(got).all(), ("sample_filter(temperature=0) gave inf/NaN: temperature 0 means greedy "
                                       "decoding (all mass on the argmax), not logits / 0"
                                       + f"\n  this looks like a known mistake: {LABELS['temperature_zero_divides']}")
    assert_close(got, want, rtol=0, atol=1e-12, name="sample_filter with temperature 0 (all mass on the argmax)")
    ids = solution.sample(logits, torch.Generator().manual_seed(0), temperature=0)
    assert torch.equal(ids, logits.argmax(-1)), f"sample with temperature 0 drew {ids.tolist()}, expected the argmax " \
                                                f"{logits.argmax(-1).tolist()}"


def test_extreme_logits_give_finite_probabilities(solution):
    logits = torch.tensor([[1e4, -1e4, 0.0, 9990.0], [-800.0, -805.0, -790.0, -1e4]], dtype=torch.float64)
    for kw in ({}, {"temperature": 0.1}, {"top_p": 0.9}):
        got = solution.sample_filter(logits, **kw)
        assert torch.isfinite(got).all(), f"sample_filter({kw}) gave inf/NaN for logits of ±1e4: subtract the max"
        assert_close(got, ref_filter(logits, **kw), rtol=1e-9, atol=1e-12, name=f"sample_filter({kw}) on logits ±1e4")


def test_filter_accepts_float32_logits(solution):
    logits = logits_of(9, 4, 6).float()
    got = solution.sample_filter(logits, temperature=0.8, top_k=3)
    assert_close(got, ref_filter(logits, temperature=0.8, top_k=3), rtol=1e-5, atol=1e-7,
                 name="sample_filter on float32 logits", mistakes=filter_mistakes(logits, temperature=0.8, top_k=3))


# --- sample ---------------------------------------------------------------------------------------

N_DRAWS = 20000


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, None, None), (0.5, None, None), (2.0, None, None),
                                                     (1.0, 3, None), (1.0, None, 0.7)])
def test_draws_follow_the_filtered_distribution(solution, temperature, top_k, top_p):
    base = torch.tensor([1.0, 0.5, 0.0, -0.5, -1.5, 0.8], dtype=torch.float64)
    ids = solution.sample(base.expand(N_DRAWS, 6), torch.Generator().manual_seed(11), temperature=temperature,
                          top_k=top_k, top_p=top_p)
    assert tuple(ids.shape) == (N_DRAWS,) and ids.dtype == torch.int64, \
        f"sample on ({N_DRAWS}, 6) logits returned shape {tuple(ids.shape)} {ids.dtype}, expected ({N_DRAWS},) int64"
    freq = torch.bincount(ids, minlength=6).double() / N_DRAWS
    want = ref_filter(base, temperature=temperature, top_k=top_k, top_p=top_p)
    # 0.02 is more than 5 standard deviations of a frequency over 20000 draws
    assert_close(freq, want, rtol=0, atol=0.02,
                 name=f"frequencies of {N_DRAWS} draws (temperature={temperature}, top_k={top_k}, top_p={top_p})",
                 mistakes={LABELS[m]: (lambda m=m: ref_filter(base, mistake=m, temperature=temperature, top_k=top_k,
                                                              top_p=top_p)) for m in FILTER_MISTAKES})
    dropped = (want == 0).nonzero().flatten().tolist()
    assert not any(int(i) in dropped for i in ids.unique()), f"tokens {dropped} have probability 0 but were drawn"


def test_a_seeded_generator_reproduces_the_draws(solution):
    logits = logits_of(12, 50, 8)
    torch.manual_seed(1)
    a = solution.sample(logits, torch.Generator().manual_seed(5), top_p=0.9)
    torch.manual_seed(2)
    b = solution.sample(logits, torch.Generator().manual_seed(5), top_p=0.9)
    c = solution.sample(logits, torch.Generator().manual_seed(6), top_p=0.9)
    assert tuple(a.shape) == (50,), f"sample on (50, 8) logits returned shape {tuple(a.shape)}, expected (50,)"
    assert torch.equal(a, b), ("two generators seeded alike drew different tokens: use the generator argument, not "
                               "the global RNG" + (f"\n  this looks like a known mistake: {LABELS['global_rng']}"))
    assert not torch.equal(a, c), "generators with different seeds drew exactly the same 50 tokens"


def test_sample_keeps_the_leading_shape(solution):
    logits = logits_of(13, 2, 3, 5)
    ids = solution.sample(logits, torch.Generator().manual_seed(0), top_k=2)
    assert tuple(ids.shape) == (2, 3) and ids.dtype == torch.int64, \
        f"sample on (2, 3, 5) logits returned shape {tuple(ids.shape)} {ids.dtype}, expected (2, 3) int64"
    top2 = logits.topk(2, -1).indices
    assert bool((ids[..., None] == top2).any(-1).all()), "with top_k=2 a token outside each row's top 2 was drawn"


# --- beam search ----------------------------------------------------------------------------------

V, EOS, BOS = 6, 0, 6


def bigram_model(seed):
    """A toy model: log-probabilities of the next token given the last one; EOS gets likelier with length."""
    table = torch.randn(V + 1, V, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    def step(prefix):
        z = table[prefix[-1]].clone()
        z[EOS] += 0.4 * (len(prefix) - 1) - 1.0
        return torch.log_softmax(z, -1)
    return step


def ref_beam(step, width, max_len, length_penalty=0.0, mistake=None):
    live, finished = [((BOS,), 0.0)], []
    for _ in range(max_len):
        cands = []
        for seq, total in live:
            lp = step(seq).tolist()
            ext = [(seq + (t,), total + lp[t]) for t in range(V)]
            cands += [max(ext, key=lambda c: c[1])] if mistake == "beam_greedy_per_hypothesis" else ext
        cands = sorted(cands, key=lambda c: -c[1])[:width]
        live = [c for c in cands if c[0][-1] != EOS]
        finished += [c for c in cands if c[0][-1] == EOS]
        if not live or (mistake == "beam_stops_at_first_eos" and finished):
            break
    finished += live
    length = {"beam_length_counts_bos": lambda s: len(s)}.get(mistake, lambda s: len(s) - 1)
    lp = 0.0 if mistake == "beam_no_length_penalty" else length_penalty
    return sorted([(list(s[1:]), tot / length(s) ** lp) for s, tot in finished], key=lambda h: -h[1])


def same_hypotheses(got, want):
    return (isinstance(got, list) and len(got) == len(want)
            and all(list(map(int, g[0])) == w[0] and abs(float(g[1]) - w[1]) <= 1e-9 * max(1, abs(w[1]))
                    for g, w in zip(got, want)))


def check_beam(got, want, what, mistakes):
    if same_hypotheses(got, want):
        return
    shown = [(list(map(int, g[0])), round(float(g[1]), 6)) for g in got[:3]] if isinstance(got, list) else got
    named = next((LABELS[m] for m, wrong in mistakes.items() if same_hypotheses(got, wrong)
                  and not same_hypotheses(want, wrong)), None)
    raise AssertionError(f"{what}: got {len(got) if isinstance(got, list) else '?'} hypotheses, best first {shown}; "
                         f"expected {len(want)}, best first {[(w[0], round(w[1], 6)) for w in want[:3]]}"
                         + (f"\n  this looks like a known mistake: {named}" if named else ""))


@pytest.mark.parametrize("seed,width,max_len,length_penalty", [
    (0, 1, 6, 0.0), (1, 2, 6, 0.0), (2, 3, 7, 1.0), (3, 4, 5, 0.6), (4, 3, 8, 1.0), (5, 2, 4, 2.0),
])
def test_beam_search_matches_reference(solution, seed, width, max_len, length_penalty):
    step = bigram_model(seed)
    got = solution.beam_search(step, BOS, EOS, width, max_len, length_penalty=length_penalty)
    want = ref_beam(step, width, max_len, length_penalty)
    check_beam(got, want, f"beam_search(width={width}, max_len={max_len}, length_penalty={length_penalty})",
               {m: ref_beam(step, width, max_len, length_penalty, m) for m in BEAM_MISTAKES})


def test_beam_search_default_has_no_length_penalty(solution):
    step = bigram_model(6)
    got = solution.beam_search(step, BOS, EOS, 3, 6)
    check_beam(got, ref_beam(step, 3, 6), "beam_search with the default length_penalty (0: raw log-prob sums)",
               {m: ref_beam(step, 3, 6, 0.0, m) for m in BEAM_MISTAKES})


def test_width_one_is_greedy_decoding(solution):
    step = bigram_model(7)
    seq, total = (BOS,), 0.0
    for _ in range(6):
        lp = step(seq)
        tok = int(lp.argmax())
        seq, total = seq + (tok,), total + float(lp[tok])
        if tok == EOS:
            break
    got = solution.beam_search(step, BOS, EOS, 1, 6)
    check_beam(got, [(list(seq[1:]), total)], "beam_search with width 1 (must be greedy decoding)", {})


def test_scores_are_log_probabilities_of_the_returned_tokens(solution):
    step = bigram_model(8)
    got = solution.beam_search(step, BOS, EOS, 3, 6, length_penalty=1.0)
    assert isinstance(got, list) and got, f"beam_search returned {type(got).__name__}, expected a non-empty list"
    for tokens, score in got:
        seq, total = (BOS,), 0.0
        for t in map(int, tokens):
            total += float(step(seq)[t])
            seq += (t,)
        want = total / len(tokens)
        assert math.isclose(float(score), want, rel_tol=1e-9, abs_tol=1e-12), (
            f"hypothesis {list(map(int, tokens))} scored {float(score):.9g}; its summed log-probability over "
            f"{len(tokens)} generated tokens, divided by {len(tokens)} ** 1.0, is {want:.9g}")
    scores = [float(s) for _, s in got]
    assert scores == sorted(scores, reverse=True), f"hypotheses not sorted best first: scores {scores}"


def test_variant_task(solution, variant):
    # A review may ask nucleus sampling or a length-normalised beam; the core run: top_p 0.8 and a beam of 3.
    top_p, length_penalty = variant.get("top_p", 0.8), variant.get("length_penalty", 0.0)
    logits = logits_of(14, 4, 7)
    assert_close(solution.sample_filter(logits, top_p=top_p), ref_filter(logits, top_p=top_p), rtol=1e-9,
                 atol=1e-12, name=f"sample_filter(top_p={top_p})", mistakes=filter_mistakes(logits, top_p=top_p))
    step = bigram_model(9)
    check_beam(solution.beam_search(step, BOS, EOS, 3, 6, length_penalty=length_penalty),
               ref_beam(step, 3, 6, length_penalty), f"beam_search(width=3, length_penalty={length_penalty})",
               {m: ref_beam(step, 3, 6, length_penalty, m) for m in BEAM_MISTAKES})
