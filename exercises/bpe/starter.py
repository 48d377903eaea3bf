"""Byte-pair encoding (Sennrich et al., 2016): learn merges from a corpus, then tokenise with them.

Pure Python, no libraries. Words are the pieces of text.split() (any whitespace); a word starts as the tuple
of its characters; tokens never cross word boundaries. See the prompt for the exact tie-breaking rule.
"""


def learn_bpe(corpus, num_merges, min_frequency=2):
    """Learn up to num_merges merges.

    corpus: list[str]. Each round: count every adjacent token pair over all words, each word weighted by
    its frequency in the corpus (overlapping pairs count: "aaa" holds (a, a) twice); take the pair with the
    highest count, ties broken by the smallest pair in Python order ((a, b) < (a, c) < (b, a)); stop if there
    is no pair or its count < min_frequency; otherwise replace its occurrences in every word, left to right,
    non-overlapping ("aaa" -> "aa", "a").
    Returns list[tuple[str, str]], the merges in the order learned.
    """
    raise NotImplementedError


def encode(text, merges, alphabet):
    """Tokenise text with merges (as returned by learn_bpe); returns list[str].

    Per word: repeatedly merge the adjacent pair with the LOWEST rank (index in merges) among the pairs present,
    all its occurrences left to right, until no pair of the word is in merges.
    Byte fallback: a single-character token whose character is not in alphabet (a set of str) becomes one
    token per byte of its UTF-8 encoding, written "<0xXX>" (two upper-case hex digits), e.g. "é" -> "<0xC3>", "<0xA9>".
    merges and alphabet must not be modified.
    """
    raise NotImplementedError
