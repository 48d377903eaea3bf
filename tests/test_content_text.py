"""Content that reads right: unquoted commas caught by validate, the usual Chinese terms and ASCII x accepted."""

import pytest

from quizcli.checking import _matches
from quizcli.schema import validate_paths

BANK = """topic: efficiency
title: {en: Memory, precision and quantisation, zh: 显存、精度与量化}
questions:
  - id: efficiency.x-mcq
    type: mcq
    difficulty: 1
    tags: [x]
    source: {note: 001_27c4b448cc602672.txt, section: 如何 embedding？}
    prompt: {en: "Which?", zh: "哪个？"}
    choices: [{en: one, two, zh: 一}, {en: three, zh: 三}]
    correct: a
    answer: {en: "one", zh: "一"}
"""


def test_validate_rejects_unknown_keys_in_language_maps(tmp_path):
    bank = tmp_path / "efficiency.yaml"
    bank.write_text(BANK)
    messages = {(p.line, p.message) for p in validate_paths([bank], []).errors}
    assert (2, "'title' has an unexpected key 'precision and quantisation': only en and zh "
               "(quote text that contains a comma or a colon)") in messages
    assert any(line == 10 and "'choices[0]' has an unexpected key 'two'" in m for line, m in messages), messages


@pytest.mark.parametrize("typed, accepted", [("全归约", "全规约"), ("归约", "规约"), ("全收集", "全聚集"),
                                             ("全规约", "全归约"), ("3x3", "3×3"), ("2x", "2×"), ("3 x 3", "3×3")])
def test_usual_chinese_terms_and_ascii_x_are_accepted(typed, accepted):
    assert _matches(typed, [accepted])


@pytest.mark.parametrize("typed, accepted", [("全收集", "全归约"), ("max", "ma×"), ("x", "3")])
def test_other_words_still_differ(typed, accepted):
    assert not _matches(typed, [accepted])


def test_no_question_refers_the_user_to_notes_they_never_saw():
    """State the fact ("a common claim is …; in fact …"), never "the note says"."""
    import re

    from quizcli.content import builtin_bank_paths, load_bank, text

    mention = re.compile(r"\b(the|source)\s+notes?\b|\bnote's\b|笔记", re.I)
    found = [(q["id"], key) for path in builtin_bank_paths().values() for q in load_bank(path).questions
             for key in ("prompt", "answer", "explanation") for lang in ("en", "zh")
             if mention.search(text(q.get(key), lang))]
    assert not found, found[:20]
