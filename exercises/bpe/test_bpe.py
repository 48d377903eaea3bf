"""Hidden suite for bpe: learned merges and tokenisations against a plain reference written here
(merges recounted from scratch each round, encoding by applying the merges one after another)."""

import random

import pytest

from quizcli.testing import known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def merge_tokens(tokens, pair, mistake=None):
    if mistake == "merge_by_string_replace":
        return " ".join(tokens).replace(" ".join(pair), "".join(pair)).split(" ")
    merged, i = [], 0  # left to right, non-overlapping
    while i < len(tokens):
        if tokens[i:i + 2] == list(pair):
            merged.append(pair[0] + pair[1])
            i += 2
        else:
            merged.append(tokens[i])
            i += 1
    return merged


def ref_learn(corpus, num_merges, min_frequency=2, mistake=None):
    freq = {}
    for text in corpus:
        for w in text.split():
            freq[w] = freq.get(w, 0) + 1
    segs = {w: list(w) for w in freq}
    merges, stale = [], None
    for _ in range(num_merges):
        counts = {}
        for w, toks in segs.items():
            for pair in zip(toks, toks[1:]):
                counts[pair] = counts.get(pair, 0) + (1 if mistake == "word_frequency_ignored" else freq[w])
        if mistake == "counts_not_updated":
            stale = counts if stale is None else stale
            counts = stale
        if not counts:
            break
        top = max(counts.values())
        tied = sorted(p for p, c in counts.items() if c == top)
        if mistake == "tie_first_seen":
            best = next(p for p in counts if counts[p] == top)
        else:
            best = tied[-1] if mistake == "tie_largest_pair" else tied[0]
        if top < min_frequency or (mistake == "min_frequency_inclusive" and top == min_frequency):
            break
        merges.append(best)
        if mistake == "counts_not_updated":
            del stale[best]
        segs = {w: merge_tokens(t, best, mistake) for w, t in segs.items()}
    return merges


def ref_encode(text, merges, alphabet, mistake=None):
    order = list(reversed(merges)) if mistake == "encode_latest_merge_first" else merges
    out = []
    for word in text.split():
        toks = list(word)
        if mistake == "encode_leftmost_pair":
            known = set(merges)
            while any(p in known for p in zip(toks, toks[1:])):
                toks = merge_tokens(toks, next(p for p in zip(toks, toks[1:]) if p in known))
        elif mistake == "encode_latest_merge_first":
            rank = {p: -r for r, p in enumerate(merges)}
            while any(p in rank for p in zip(toks, toks[1:])):
                toks = merge_tokens(toks, min((p for p in zip(toks, toks[1:]) if p in rank), key=rank.get))
        else:
            for pair in order:  # learned merges only use tokens made by earlier merges: one pass in order suffices
                toks = merge_tokens(toks, pair, mistake)
        for tok in toks:
            if len(tok) == 1 and tok not in alphabet:
                out += ([f"<0x{ord(tok):02X}>"] if mistake == "fallback_code_point"
                        else [f"<0x{b:02X}>" for b in tok.encode("utf-8")])
            else:
                out.append(tok)
    return out


LEARN_MISTAKES = ("counts_not_updated", "word_frequency_ignored", "tie_first_seen", "tie_largest_pair",
                  "min_frequency_inclusive", "merge_by_string_replace")
ENCODE_MISTAKES = ("encode_leftmost_pair", "encode_latest_merge_first", "merge_by_string_replace",
                   "fallback_code_point")


def check_equal(got, want, what, wrong):
    if got is None:
        raise AssertionError(f"{what}: got None (did you forget to return it?)")
    got = [tuple(g) if isinstance(g, list) else g for g in got]
    want = [tuple(w) if isinstance(w, list) else w for w in want]
    if got == want:
        return
    i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    msg = (f"{what}: {len(got)} items, expected {len(want)}; first difference at index {i}: "
           f"got {got[i] if i < len(got) else '(nothing)'!r}, expected {want[i] if i < len(want) else '(nothing)'!r}")
    matched = [label for label, w in wrong.items() if [tuple(x) if isinstance(x, list) else x for x in w] == got]
    msg += "".join(known_mistake(label) for label in matched)  # several can give the same wrong list: name all
    raise AssertionError(msg)


def learn_wrong(corpus, n, **kw):
    return {LABELS[m]: ref_learn(corpus, n, mistake=m, **kw) for m in LEARN_MISTAKES}


def encode_wrong(text, merges, alphabet):
    return {LABELS[m]: ref_encode(text, merges, alphabet, mistake=m) for m in ENCODE_MISTAKES}


def random_corpus(seed, n_words=60, letters="abcd"):
    rng = random.Random(seed)
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 6))) for _ in range(12)]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(n_words // 4)]
    return lines


def alphabet_of(corpus):
    return set("".join("".join(t.split()) for t in corpus))


# --- learning ------------------------------------------------------------------------------------

def test_learn_small_corpus_by_hand(solution):
    corpus = ["low low low low lower lower newest newest newest", "widest widest newest"]
    want = [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("ew", "est")]
    assert ref_learn(corpus, 6) == want
    check_equal(solution.learn_bpe(corpus, 6), want, "merges learned from the classic low/lower/newest corpus",
                learn_wrong(corpus, 6))


def test_ties_go_to_the_smallest_pair(solution):
    corpus = ["cd cd ab ab", "zy zy"]
    want = [("a", "b"), ("c", "d"), ("z", "y")]
    assert ref_learn(corpus, 5) == want
    check_equal(solution.learn_bpe(corpus, 5), want, "three pairs tied at count 2: smallest first",
                learn_wrong(corpus, 5))


def test_counts_are_updated_after_each_merge(solution):
    # After (a, b) is merged, (b, c) loses the occurrences inside "abc" and (ab, c) takes them.
    corpus = ["abc abc abc ab ab bc"]
    want = ref_learn(corpus, 3)
    check_equal(solution.learn_bpe(corpus, 3), want, "merges for 'abc abc abc ab ab bc'", learn_wrong(corpus, 3))


def test_word_frequencies_weight_the_counts(solution):
    corpus = ["xy " * 5 + "ab cd ab cd"]
    want = ref_learn(corpus, 2)
    assert want[0] == ("x", "y")
    check_equal(solution.learn_bpe(corpus, 2), want, "a frequent word must win: 'xy' five times",
                learn_wrong(corpus, 2))


@pytest.mark.parametrize("min_frequency", [1, 2, 3], ids=lambda m: f"min_frequency={m}")
def test_min_frequency_stops_learning(solution, min_frequency):
    corpus = ["aa aa aa bb bb cc"]
    want = ref_learn(corpus, 10, min_frequency=min_frequency)
    check_equal(solution.learn_bpe(corpus, 10, min_frequency=min_frequency), want,
                f"learning stops when the best count drops below {min_frequency}",
                learn_wrong(corpus, 10, min_frequency=min_frequency))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_learn_random_corpora(solution, seed):
    corpus = random_corpus(seed)
    n = 8 + 3 * seed
    check_equal(solution.learn_bpe(corpus, n), ref_learn(corpus, n), f"merges (random corpus, seed {seed}, {n} merges)",
                learn_wrong(corpus, n))


def test_overlapping_pairs_merge_left_to_right(solution):
    corpus = ["aaa aaa aaaa"]
    want = ref_learn(corpus, 3)
    check_equal(solution.learn_bpe(corpus, 3), want, "merges for runs of 'a' (non-overlapping, left to right)",
                learn_wrong(corpus, 3))


def test_degenerate_corpora(solution):
    assert solution.learn_bpe([], 5) == [], "an empty corpus has no merges"
    assert solution.learn_bpe(["a b c  \n d"], 5) == [], "single-character words have no pairs to merge"
    assert solution.learn_bpe(["ab ab"], 0) == [], "num_merges=0 learns nothing"
    check_equal(solution.learn_bpe(["ab ab ab"], 10), [("a", "b")], "learning stops when every word is one token",
                learn_wrong(["ab ab ab"], 10))


def test_learn_splits_words_on_any_whitespace(solution):
    corpus = ["a\tb a\nb\ta\tb  cd\r\ncd", " ab\x0bab\f"]
    want = ref_learn(corpus, 3)
    assert want == [("a", "b"), ("c", "d")]
    check_equal(solution.learn_bpe(corpus, 3), want, "merges of words separated by tabs, newlines and runs of spaces",
                learn_wrong(corpus, 3))


def test_unicode_words(solution):
    corpus = ["héllo héllo 你好 你好 你好 hé"]
    check_equal(solution.learn_bpe(corpus, 4), ref_learn(corpus, 4), "merges over non-ASCII characters",
                learn_wrong(corpus, 4))


# --- encoding ------------------------------------------------------------------------------------

def test_encode_uses_the_merge_rank(solution):
    corpus = ["bc bc bc ab ab abc"]
    merges = ref_learn(corpus, 5)
    assert merges == [("b", "c"), ("a", "b")]
    alphabet = alphabet_of(corpus)
    want = ["a", "bc", "ab", "bc"]
    check_equal(solution.encode("abc abbc", merges, alphabet), want, "encode('abc abbc') with merges (b,c) then (a,b)",
                encode_wrong("abc abbc", merges, alphabet))


@pytest.mark.parametrize("seed", [5, 6, 7, 8])
def test_encode_random_texts(solution, seed):
    corpus = random_corpus(seed)
    merges = ref_learn(corpus, 15)
    alphabet = alphabet_of(corpus)
    text = " ".join(random_corpus(seed + 100, n_words=16))
    check_equal(solution.encode(text, merges, alphabet), ref_encode(text, merges, alphabet),
                f"tokens of a random text (seed {seed})", encode_wrong(text, merges, alphabet))


def test_encoding_a_training_word_gives_its_learned_segmentation(solution):
    corpus = random_corpus(9)
    merges = ref_learn(corpus, 40)
    alphabet = alphabet_of(corpus)
    for word in sorted({w for t in corpus for w in t.split()}):
        check_equal(solution.encode(word, merges, alphabet), ref_encode(word, merges, alphabet),
                    f"encode({word!r})", encode_wrong(word, merges, alphabet))


def test_byte_fallback_for_unknown_characters(solution):
    corpus = ["ab ab ab"]
    merges = ref_learn(corpus, 2)
    alphabet = alphabet_of(corpus)
    text = "abz é 中ab \x07"
    want = ["ab", "<0x7A>", "<0xC3>", "<0xA9>", "<0xE4>", "<0xB8>", "<0xAD>", "ab", "<0x07>"]
    assert ref_encode(text, merges, alphabet) == want
    check_equal(solution.encode(text, merges, alphabet), want,
                "unknown characters become their UTF-8 bytes as <0xXX> tokens", encode_wrong(text, merges, alphabet))


def test_byte_fallback_only_for_single_characters_left_after_merging(solution):
    # A merged token is kept whole even when its characters are not in the alphabet.
    merges = [("a", "é"), ("aé", "z")]
    alphabet = {"a", "z"}
    want = ["aéz", "aé", "<0xC3>", "<0xA9>", "a"]
    assert ref_encode("aéz aé é a", merges, alphabet) == want
    check_equal(solution.encode("aéz aé é a", merges, alphabet), want,
                "encode('aéz aé é a') with merges (a, é), (aé, z) and alphabet {a, z}",
                encode_wrong("aéz aé é a", merges, alphabet))


def test_encode_whitespace_and_empty(solution):
    merges = ref_learn(["ab ab"], 1)
    assert solution.encode("", merges, {"a", "b"}) == [], "encode('') must be []"
    assert solution.encode("  \n\t ", merges, {"a", "b"}) == [], "whitespace only: no tokens"
    check_equal(solution.encode(" ab\n\tab  a ", merges, {"a", "b"}), ["ab", "ab", "a"],
                "words split on any whitespace", encode_wrong(" ab\n\tab  a ", merges, {"a", "b"}))


def test_encode_does_not_mutate_its_arguments(solution):
    merges = ref_learn(["ab ab cd cd"], 2)
    alphabet = {"a", "b", "c", "d"}
    before = (list(merges), set(alphabet))
    solution.encode("abcd ab", merges, alphabet)
    assert (merges, alphabet) == before, "encode must not change the merges list or the alphabet"


def test_variant_learning_budget(solution, variant):
    num_merges, min_frequency = variant.get("num_merges", 12), variant.get("min_frequency", 2)
    corpus = random_corpus(10)
    check_equal(solution.learn_bpe(corpus, num_merges, min_frequency=min_frequency),
                ref_learn(corpus, num_merges, min_frequency=min_frequency),
                f"learn_bpe(num_merges={num_merges}, min_frequency={min_frequency})",
                learn_wrong(corpus, num_merges, min_frequency=min_frequency))
