"""Reference solution for the `bpe` exercise: learn byte-pair-encoding merges, tokenise with byte fallback."""

from collections import Counter


def _pair_counts(words):
    counts = Counter()
    for word, freq in words.items():
        for pair in zip(word, word[1:]):
            counts[pair] += freq
    return counts


def _merge_word(word, pair):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def learn_bpe(corpus, num_merges, min_frequency=2):
    words = Counter(tuple(word) for text in corpus for word in text.split())
    merges = []
    for _ in range(num_merges):
        counts = _pair_counts(words)
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))  # highest count, then the smallest pair
        if counts[best] < min_frequency:
            break
        merges.append(best)
        words = Counter({_merge_word(w, best): f for w, f in words.items()})
    return merges


def _encode_word(word, ranks):
    while True:
        pairs = [p for p in zip(word, word[1:]) if p in ranks]
        if not pairs:
            return word
        word = _merge_word(word, min(pairs, key=ranks.__getitem__))


def _fallback(token, alphabet):
    if len(token) == 1 and token not in alphabet:
        return [f"<0x{b:02X}>" for b in token.encode("utf-8")]
    return [token]


def encode(text, merges, alphabet):
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    tokens = []
    for word in text.split():
        for token in _encode_word(tuple(word), ranks):
            tokens += _fallback(token, alphabet)
    return tokens
