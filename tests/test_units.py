"""Numeric answers in the user's units: converted to the question's unit, and the reading shown."""

import random

import pytest

from quizcli import render
from quizcli.checking import AnswerFormatError, check, read_number
from quizcli.questions import pose


@pytest.mark.parametrize("reply, unit, value, reading", [
    ("0.4 GB", "MB", 400, "0.4 GB = 400 MB"),
    ("0.4G", "MB", 400, "0.4 G = 400 MB"),
    ("400 MB", "MB", 400, ""),
    ("16 GiB", "GiB", 16, ""),
    ("1 GiB", "MiB", 1024, "1 GiB = 1024 MiB"),
    ("2048 KiB", "MiB", 2, "2048 KiB = 2 MiB"),
    ("31.4G", "GB", 31.4, ""),
    ("7B", "", 7e9, "7 B = 7,000,000,000"),
    ("7B", "parameters", 7e9, "7 B = 7,000,000,000 parameters"),
    ("1.3B", "M", 1300, "1.3 B = 1300 M"),
    ("12k", "tokens", 12000, "12 k = 12,000 tokens"),
    ("512 tokens", "tokens", 512, ""),
    ("1 token", "tokens", 1, ""),
    ("500 ms", "s", 0.5, "500 ms = 0.5 s"),
    ("2 s", "ms", 2000, "2 s = 2000 ms"),
    ("2 TFLOPs", "GFLOPs", 2000, "2 TFLOPs = 2000 GFLOPs"),
    ("40%", "", 0.4, "40 % = 0.4"),
    ("40 %", "%", 40, ""),
    ("3x", "×", 3, ""),
    ("3×", "x", 3, ""),
    ("3 ×10^21 FLOPs", "×10^21 FLOPs", 3, ""),
    ("1.4e10", "", 1.4e10, ""),
    ("532,480", "", 532480, ""),
    ("2*7 GB", "GB", 14, ""),
])
def test_a_reply_is_read_in_the_question_unit(reply, unit, value, reading):
    got, shown = read_number(reply, unit)
    assert got == pytest.approx(value) and shown == reading


@pytest.mark.parametrize("reply, unit", [("400 MB", "tokens"), ("3 h", "GB"), ("2 GB", "s"), ("5 apples", "")])
def test_a_unit_of_another_kind_is_refused_with_the_question_unit(reply, unit):
    with pytest.raises(AnswerFormatError, match=f"answer in {unit or 'a plain number'}"):
        read_number(reply, unit)


QUESTION = {"id": "x.mem", "type": "numeric", "topic": "x", "prompt": {"en": "memory?"},
            "answer": {"en": "about 402.7 MB"}, "value": "402.7", "tolerance": 0.005, "unit": "MB"}


def verdict_line(reply: str) -> str:
    posed = pose(QUESTION, "en", random.Random(0))
    with render.console.capture() as captured:
        render.verdict(posed, check(posed, reply))
    return captured.get().splitlines()[0]


def test_the_verdict_shows_the_reading_the_expected_value_and_the_tolerance():
    assert verdict_line("0.4 GB") == "✗ wrong — read as 0.4 GB = 400 MB; expected 402.7 MB ± 0.5 %"
    assert verdict_line("0.4027 GB") == "✓ right — read as 0.4027 GB = 402.7 MB"
    assert verdict_line("402 MB") == "✓ right"
