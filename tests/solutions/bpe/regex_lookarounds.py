"""Correct alternative for bpe: Sennrich-style space-joined words merged by a regex guarded by look-arounds.

Tokens may contain any character but whitespace, so a space is a safe separator.
"""

import re
from collections import defaultdict


def _pattern(pair):
    return re.compile(r"(?<!\S)" + re.escape(pair[0] + " " + pair[1]) + r"(?!\S)")


def learn_bpe(corpus, num_merges, min_frequency=2):
    vocab = defaultdict(int)
    for line in corpus:
        for word in line.split():
            vocab[" ".join(word)] += 1
    merges = []
    for _ in range(num_merges):
        stats = defaultdict(int)
        for spelled, n in vocab.items():
            symbols = spelled.split(" ")
            for left, right in zip(symbols, symbols[1:]):
                stats[left, right] += n
        if not stats:
            break
        best = sorted(stats.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if best[1] < min_frequency:
            break
        merges.append(best[0])
        pattern, joined = _pattern(best[0]), "".join(best[0])
        vocab = {pattern.sub(lambda _: joined, spelled): n for spelled, n in vocab.items()}
    return merges


def encode(text, merges, alphabet):
    rank = {pair: r for r, pair in enumerate(merges)}
    out = []
    for word in text.split():
        symbols = list(word)
        while len(symbols) > 1:
            present = [(rank[p], p) for p in zip(symbols, symbols[1:]) if p in rank]
            if not present:
                break
            pair = min(present)[1]
            symbols = _pattern(pair).sub(lambda _: "".join(pair), " ".join(symbols)).split(" ")
        for s in symbols:
            out += [f"<0x{c:02X}>" for c in s.encode()] if len(s) == 1 and s not in alphabet else [s]
    return out
