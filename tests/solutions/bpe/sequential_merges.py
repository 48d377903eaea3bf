"""Correct alternative for bpe: token lists recounted every round, encoding by one pass over the merges in order."""


def _merge(tokens, a, b):
    out = []
    i = 0
    while i < len(tokens):
        if i < len(tokens) - 1 and tokens[i] == a and tokens[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def learn_bpe(corpus, num_merges, min_frequency=2):
    freq = {}
    for line in corpus:
        for word in line.split():
            freq[word] = freq.get(word, 0) + 1
    tokens = {word: list(word) for word in freq}
    merges = []
    while len(merges) < num_merges:
        counts = {}
        for word, toks in tokens.items():
            for i in range(len(toks) - 1):
                key = (toks[i], toks[i + 1])
                counts[key] = counts.get(key, 0) + freq[word]
        if not counts:
            break
        best_count = max(counts.values())
        if best_count < min_frequency:
            break
        best = sorted(k for k, c in counts.items() if c == best_count)[0]
        merges.append(best)
        tokens = {word: _merge(toks, *best) for word, toks in tokens.items()}
    return merges


def encode(text, merges, alphabet):
    result = []
    for word in text.split():
        toks = list(word)
        for a, b in merges:  # a learned merge only uses tokens created by earlier merges
            toks = _merge(toks, a, b)
        for tok in toks:
            if len(tok) == 1 and tok not in alphabet:
                result.extend("<0x%02X>" % byte for byte in tok.encode("utf-8"))
            else:
                result.append(tok)
    return result
