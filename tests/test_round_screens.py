"""What a round shows: hints that exist (and what they cost), Ctrl-D, Chinese line breaks, translated choices."""

import random
import re

import pytest

from quizcli import render
from quizcli.content import load_banks, text
from quizcli.questions import pose
from quizcli.render import fit
from quizcli.rounds import EndOfInput, Replies, hint_for

QUESTIONS = [q for bank in load_banks() for q in bank.questions]


@pytest.mark.parametrize("kind", ["numeric", "open"])
def test_every_numeric_and_open_question_has_a_hint(kind):
    missing = [q["id"] for q in QUESTIONS if q["type"] == kind
               for lang in ("en", "zh") if not hint_for(pose(q, lang, random.Random(0)))]
    assert not missing, missing[:10]


def test_a_numeric_hint_gives_the_power_of_ten_not_the_answer():
    question = {"id": "x.n", "type": "numeric", "topic": "x", "prompt": {"en": "how many?"}, "answer": {"en": "4,200"},
                "value": "4200", "tolerance": 0.01, "unit": "tokens"}
    assert hint_for(pose(question, "en", random.Random(0))) == "between 1000 and 10,000 tokens"


def test_an_open_hint_is_the_first_key_point():
    question = next(q for q in QUESTIONS if q["type"] == "open")
    assert hint_for(pose(question, "zh", random.Random(0))) == text(question["key_points"][0], "zh")


def shown_question(posed, has_hint) -> str:
    with render.console.capture() as captured:
        render.question(posed, 1, 1, "x", has_hint=has_hint)
    return captured.get()


def test_h_is_offered_only_when_there_is_a_hint():
    posed = pose(QUESTIONS[0], "en", random.Random(0))
    assert "h hint" in shown_question(posed, True) and "h hint" not in shown_question(posed, False)
    assert "? don't know" in shown_question(posed, False)


def test_ctrl_d_ends_the_prompt_line(monkeypatch):
    def end_of_file(*args, **kwargs):
        raise EOFError

    monkeypatch.setattr(render.console, "input", end_of_file)
    with render.console.capture() as captured, pytest.raises(EndOfInput):
        Replies(interactive=True).read()
    assert captured.get() == "\n"


def test_chinese_lines_break_between_characters_not_before_latin_words():
    wrapped = fit("这是一个很长的中文句子，其中包含 Transformer 和 attention 等英文单词，然后继续写很多中文内容直到换行为止。", 40)
    lines = wrapped.splitlines()
    assert all(render.cell_len(line) <= 40 for line in lines)
    assert render.cell_len(lines[1]) >= 36  # filled up to the width, not cut before "等"
    assert "Transformer" in wrapped and "attention" in wrapped  # Latin words are never split
    assert fit("plain English text stays for rich to wrap", 10) == "plain English text stays for rich to wrap"


def test_choices_in_prose_are_translated():
    """A choice given as one plain string is shown in both languages: it must not be English prose (words the
    Chinese prompt does not quote itself)."""
    untranslated = []
    for q in QUESTIONS:
        zh = text(q["prompt"], "zh")
        for choice in [c for key in ("choices", "items") for c in q.get(key) or [] if isinstance(c, str)]:
            words = [w for w in re.findall(r"(?<![.\w-])[a-z]{3,}(?![\w(-])", choice) if w not in zh]
            if len(words) >= 2:
                untranslated.append((q["id"], choice))
    assert not untranslated, untranslated
