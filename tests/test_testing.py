"""Messages of the suites' assertions: a mistake is named only when true; numbers that differ look different."""

import numpy as np
import pytest

from quizcli import testing
from quizcli.testing import Label, assert_close


def label(mistake_id: str, text: str) -> Label:
    known = Label(text)
    known.id = mistake_id
    return known


def failure(actual, expected, **kwargs) -> str:
    with pytest.raises(AssertionError) as exc:
        assert_close(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), **kwargs)
    return str(exc.value)


@pytest.fixture(autouse=True)
def nothing_matched_yet():
    testing.MATCHED.clear()
    yield
    testing.MATCHED.clear()


def test_a_near_miss_is_not_named_when_the_test_is_tighter_than_the_difference():
    # 3e-6 away from the mistake: within a loose 1e-4, far outside this test's 1e-9
    message = failure([1.0 + 2e-3 + 3e-6], [1.0], rtol=1e-9, atol=0,
                      mistakes={label("off", "the known mistake"): np.array([1.0 + 2e-3])})
    assert "known mistake" not in message and testing.MATCHED == []


def test_a_result_that_matches_the_mistake_at_the_test_tolerance_is_named_and_recorded():
    message = failure([2.0, 4.0], [1.0, 2.0], rtol=1e-9, atol=0,
                      mistakes={label("summed", "summed instead of averaged"): np.array([2.0, 4.0])})
    assert "this looks like a known mistake: summed instead of averaged" in message
    assert testing.MATCHED == ["summed"]


def test_two_mistakes_with_the_same_wrong_answer_are_both_named():
    # e.g. thresholds sorted ascending and ROC axes swapped both give 1 − AUC: this input cannot tell them apart
    message = failure([0.25], [0.75], rtol=1e-9, atol=0, mistakes={label("ascending", "thresholds ascending"): np.array([0.25]),
                                                                   label("swapped", "axes swapped"): np.array([0.25])})
    assert "known mistake: thresholds ascending (or: axes swapped)" in message
    assert sorted(testing.MATCHED) == ["ascending", "swapped"]


def test_a_mistake_that_equals_the_right_answer_on_this_input_is_never_named():
    # e.g. sum vs mean over a last dimension of size 1: the "mistake" is the right answer here
    message = failure([[3.0]], [[1.0]], rtol=1e-6, atol=0, mistakes={label("sum", "sum, not mean"): np.array([[1.0]])})
    assert "known mistake" not in message


def test_a_mistake_given_as_a_function_is_computed_only_when_the_check_fails():
    calls = []

    def wrong():
        calls.append(1)
        return np.array([2.0])

    assert_close(np.array([1.0]), np.array([1.0]), mistakes={label("double", "doubled"): wrong})
    assert calls == []
    message = failure([2.0], [1.0], rtol=1e-9, atol=0, mistakes={label("double", "doubled"): wrong})
    assert "known mistake: doubled" in message
    assert calls == [1]


def test_got_and_expected_have_enough_digits_to_differ():
    message = failure([1.00000012], [1.00000011], rtol=1e-12, atol=0)
    assert "got 1.00000012, expected 1.00000011" in message


def test_relative_error_only_where_the_expected_value_is_not_zero():
    assert "rel error" not in failure([1.0, 0.0], [0.0, 0.0], rtol=1e-6, atol=1e-9)
    message = failure([1.0, 3.0], [0.0, 2.0], rtol=1e-6, atol=1e-9)
    assert "largest rel error 0.5 at index (1,)" in message and "e+3" not in message


def test_a_suite_that_names_a_mistake_itself_records_its_id():
    assert testing.known_mistake(label("tiled", "kv heads tiled")) == "\n  this looks like a known mistake: kv heads tiled"
    assert testing.MATCHED == ["tiled"]
