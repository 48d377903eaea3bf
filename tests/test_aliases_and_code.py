"""Merged questions keep their history (aliases); spot-the-bug code is validated and shown numbered."""

import random

from test_store import answer

from quizcli import render
from quizcli.content import Bank, aliases
from quizcli.questions import pose
from quizcli.schema import validate_paths
from quizcli.store import Store

BANK_HEAD = """topic: python
title: {en: p, zh: p}
questions:
"""
QUESTION = """  - id: {qid}
    type: mcq
    difficulty: 2
    tags: []
    source: {{note: 002_82112c4dda528d8c.txt, section: 精度}}
    prompt: {{en: "{prompt}", zh: "哪一行错了？"}}
    answer: {{en: "line 2", zh: "第 2 行"}}
    choices: ["1", "2"]
    correct: b
{extra}
"""


def bank(tmp_path, *questions):
    path = tmp_path / "python.yaml"
    path.write_text(BANK_HEAD + "".join(QUESTION.format(**q) for q in questions), encoding="utf-8")
    return path


def messages(path):
    return [p.message for p in validate_paths([path], []).errors]


def test_an_alias_hands_its_cards_and_reviews_to_the_kept_id(tmp_path):
    store = Store(tmp_path / "q.db")
    answer(store, "python.old")
    answer(store, "python.other")
    store.adopt_aliases({"python.old": "python.kept"})
    assert store.card("python.old") is None and store.card("python.kept") is not None
    assert sorted(r["card_id"] for r in store.reviews()) == ["python.kept", "python.other"]


def test_when_both_ids_have_cards_the_kept_schedule_stays_and_no_review_is_lost(tmp_path):
    store = Store(tmp_path / "q.db")
    answer(store, "python.old")
    kept = answer(store, "python.kept")
    store.adopt_aliases({"python.old": "python.kept"})
    assert store.card("python.old") is None and store.card("python.kept").fsrs_card == kept.fsrs_card
    assert [r["card_id"] for r in store.reviews()] == ["python.kept", "python.kept"]


def test_aliases_are_read_from_the_banks():
    question = {"id": "python.kept", "aliases": ["python.a", "python.b"]}
    assert aliases([Bank("python", {}, [question, {"id": "python.x"}], None)]) == {
        "python.a": "python.kept", "python.b": "python.kept"}


def test_an_alias_may_not_reuse_a_live_id(tmp_path):
    path = bank(tmp_path, dict(qid="python.one", prompt="p1", extra="    aliases: [python.two]"),
                dict(qid="python.two", prompt="p2", extra=""))
    assert any("duplicate id 'python.two'" in m for m in messages(path))


def test_code_must_parse_and_stay_short(tmp_path):
    long = "    code:\n      language: python\n      text: |-\n" + "        x = 1\n" * 16
    path = bank(tmp_path, dict(qid="python.bad", prompt="p1", extra="    code: {language: python, text: 'def f(:'}"),
                dict(qid="python.long", prompt="p2", extra=long),
                dict(qid="python.lang", prompt="p3", extra="    code: {language: cobol, text: 'x'}"))
    found = messages(path)
    assert any("does not parse as Python" in m for m in found)
    assert any("keep it to 15" in m for m in found)
    assert any("'code' must be" in m for m in found)


def test_code_is_shown_with_line_numbers_between_prompt_and_choices(tmp_path):
    code = "    code:\n      language: python\n      text: |-\n        total = 0\n        total += bad_name\n"
    assert messages(bank(tmp_path, dict(qid="python.code", prompt="Which line is wrong?", extra=code))) == []
    question = {"id": "python.code", "type": "mcq", "difficulty": 2, "topic": "python",
                "prompt": {"en": "Which line is wrong?"}, "answer": {"en": "2"}, "choices": ["1", "2"],
                "correct": "b", "code": {"language": "python", "text": "total = 0\ntotal += bad_name\n"}}
    with render.console.capture() as captured:
        render.question(pose(question, "en", random.Random(0)), 1, 1, "python")
    shown = captured.get()
    assert shown.index("Which line") < shown.index("1 total = 0") < shown.index("2 total += bad_name") < shown.index("a) 1")
