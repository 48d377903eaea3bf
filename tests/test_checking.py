import random

import pytest

from quizcli import checking
from quizcli.checking import AnswerFormatError, check, normalise, parse_number
from quizcli.questions import pose, substitute


def q(kind, **fields):
    base = {"id": "t.q", "type": kind, "prompt": {"en": "p", "zh": "p"}, "answer": {"en": "a", "zh": "a"}}
    return {**base, **fields}


def posed(question, seed=0):
    return pose(question, "en", random.Random(seed))


MCQ = q("mcq", choices=["x", "y", {"en": "z", "zh": "Z"}], correct="b")
MULTI = q("multi", choices=["x", "y", "z", "w"], correct=["a", "c"])


@pytest.mark.parametrize("reply, correct", [("b", True), ("B", True), (" b ", True), ("2", True), ("a", False)])
def test_mcq(reply, correct):
    assert check(posed(MCQ), reply).correct is correct


def test_mcq_rejects_two_letters_and_unknown_letters():
    with pytest.raises(AnswerFormatError):
        check(posed(MCQ), "a,b")
    with pytest.raises(AnswerFormatError):
        check(posed(MCQ), "e")


@pytest.mark.parametrize("reply, correct", [("a,c", True), ("c a", True), ("ac", True), ("a", False), ("a,c,d", False)])
def test_multi_needs_exactly_the_right_set(reply, correct):
    assert check(posed(MULTI), reply).correct is correct


NUMERIC = q("numeric", value="2 * n * 1e9", tolerance=0.02, unit="parameters", params={"n": [7]})


@pytest.mark.parametrize("reply, correct", [
    ("14000000000", True), ("1.4e10", True), ("14 B", True), ("14B", True), ("14G", True), ("13.9e9", True),
    ("2*7e9", True), ("14,000,000,000", True), ("13e9", False), ("14", False),
])
def test_numeric_with_tolerance_and_suffixes(reply, correct):
    assert check(posed(NUMERIC), reply).correct is correct


def test_numeric_strips_the_unit():
    question = q("numeric", value=14, tolerance=0.01, unit="GB")
    assert check(posed(question), "14 GB").correct
    assert check(posed(question), "14gb").correct
    assert check(posed(question), "14.1").correct
    assert not check(posed(question), "14.5").correct


def test_numeric_not_a_number():
    with pytest.raises(AnswerFormatError):
        check(posed(NUMERIC), "about fourteen")


def test_numeric_zero_expected_uses_absolute_tolerance():
    question = q("numeric", value=0, tolerance=0.01, unit="")
    assert check(posed(question), "0.005").correct
    assert not check(posed(question), "0.5").correct


CLOZE = q("cloze", prompt={"en": "___ and ___", "zh": "___ 和 ___"}, blanks=[["LayerNorm", "层归一化"], ["√d_k", "sqrt(d_k)"]])


@pytest.mark.parametrize("reply, correct", [
    ("LayerNorm; √d_k", True), ("layernorm;sqrt(d_k)", True), ("Layer-Norm ; SQRT(D_K)", True),
    ("ＬａｙｅｒＮｏｒｍ；√d_k", True), ("层归一化; √d_k", True), ("BatchNorm; √d_k", False),
])
def test_cloze_normalised_matching(reply, correct):
    assert check(posed(CLOZE), reply).correct is correct


def test_cloze_wrong_number_of_blanks():
    with pytest.raises(AnswerFormatError):
        check(posed(CLOZE), "LayerNorm")


def test_cloze_numbers_compare_as_numbers():
    question = q("cloze", prompt={"en": "___", "zh": "___"}, blanks=[["0.5"]])
    assert check(posed(question), ".5").correct
    assert check(posed(question), "1/2").correct


def test_normalise_unicode_math_and_width():
    assert normalise("  Ｘ × Y² − 1。 ") == "x * y2 - 1"


ORDER = q("order", items=["first", "second", "third", "fourth"])


def test_order_is_shuffled_and_checked_against_the_shown_positions():
    shown = posed(ORDER, seed=3)
    assert shown.shown_order != sorted(shown.shown_order)
    right = " ".join(str(shown.shown_order.index(i) + 1) for i in range(4))
    assert check(shown, right).correct
    assert not check(shown, "1 2 3 4").correct or shown.shown_order == [0, 1, 2, 3]


def test_order_needs_a_permutation():
    with pytest.raises(AnswerFormatError):
        check(posed(ORDER), "1 1 2 3")


def test_dont_know_words():
    assert checking.is_dont_know("") and checking.is_dont_know("?") and checking.is_dont_know("不知道")
    assert not checking.is_dont_know("b")


def test_template_parameters_are_drawn_and_substituted():
    question = q("numeric", prompt={"en": "{a} + {b} = ? {not_a_param}", "zh": "{a}+{b}"}, value="a + b",
                 tolerance=0.01, unit="", params={"a": {"min": 1, "max": 5}, "b": [10, 20]},
                 answer={"en": "{value}", "zh": "{value}"})
    seen = set()
    for seed in range(30):
        shown = posed(question, seed)
        assert shown.value == shown.params["a"] + shown.params["b"]
        assert shown.prompt.startswith(f"{shown.params['a']} + {shown.params['b']} = ?")
        assert "{not_a_param}" in shown.prompt
        assert shown.answer == str(int(shown.value))
        seen.add(shown.value)
    assert len(seen) > 3


def test_substitute_formats_numbers_compactly():
    assert substitute("{x} {y} {z}", {"x": 2.0, "y": 0.123456, "z": 7_000_000}) == "2 0.1235 7,000,000"


@pytest.mark.parametrize("reply, unit, value", [
    ("532,480", "", 532480), ("532 480", "", 532480), ("31.4G", "GB", 31.4), ("31.4 gb", "GB", 31.4),
    ("7B", "parameters", 7e9), ("12k", "", 12000), ("50%", "%", 50), ("1e-3", "", 0.001), ("-2.5", "", -2.5),
])
def test_parse_number_forms(reply, unit, value):
    assert parse_number(reply, unit) == pytest.approx(value)


def test_what_is_displayed_can_be_typed_back():
    from quizcli.questions import format_number
    for value in (7, 0.125, 532480, 1.5e9, 123456789):
        assert parse_number(format_number(value)) == pytest.approx(value, rel=1e-3)


def test_parse_number_plain():
    assert parse_number("3/4") == 0.75
    assert parse_number("12k") == 12000


def test_reflow_joins_hard_wrapped_prose_but_keeps_code_and_lists():
    from quizcli.questions import reflow
    assert reflow("one line\nwraps here.\n\nNext paragraph\ntoo.") == "one line wraps here.\n\nNext paragraph too."
    assert reflow("中文断行\n继续") == "中文断行继续"
    code = "Output?\n    x = 1\n    print(x)"
    assert reflow(code) == code
    listed = "Steps:\n- a\n- b"
    assert reflow(listed) == listed


@pytest.mark.parametrize("reply, accepted, correct", [
    ("1e8", ["1e-8"], False), ("1e-08", ["1e-8"], True), ("10^-8", ["1e-8"], True), ("(y-p)", ["-(y-p)"], False),
    ("layer norm", ["Layer-Norm"], True), ("d_k", ["dk"], True), ("z2-z1", ["z2 - z1"], True),
])
def test_cloze_keeps_signs_and_exponents(reply, accepted, correct):
    question = q("cloze", prompt={"en": "___", "zh": "___"}, blanks=[accepted])
    assert check(posed(question), reply).correct is correct


def test_numeric_accepts_caret_powers():
    assert parse_number("2^30") == 2 ** 30


LINEAR = q("numeric", value="din * dout + dout", tolerance=1e-5, unit="parameters", params={"din": [4096], "dout": [10]},
           mistakes=[{"expr": "din * dout", "label": {"en": "the count without the bias", "zh": "漏掉了偏置"}}])


def test_a_numeric_answer_equal_to_a_declared_mistake_is_wrong_and_named():
    verdict = check(posed(LINEAR), "40960")
    assert not verdict.correct and verdict.mistake == "the count without the bias"
    zh = check(pose(LINEAR, "zh", random.Random(0)), "40960")
    assert zh.mistake == "漏掉了偏置"


@pytest.mark.parametrize("reply", ["40970", "12345"])
def test_other_answers_name_no_mistake(reply):
    assert check(posed(LINEAR), reply).mistake == ""
