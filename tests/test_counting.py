"""One definition of answered/correct/due/new, and the pure pieces of the learning loop."""

import shutil
from dataclasses import dataclass, field

import pytest
from conftest import FIXTURES

from quizcli import counting, planning
from quizcli.exercise_reviews import pick_variant
from quizcli.exercise_schema import validate_exercise

NOW = "2026-11-23T12:00:00.000000+00:00"
EARLIER, LATER = "2026-11-23T11:00:00.000000+00:00", "2026-11-23T13:00:00.000000+00:00"


@pytest.mark.parametrize("correct, rating, expected", [
    (True, 1, True), (False, 4, False),            # auto-graded: the check decides, whatever the rating
    (None, 3, True), (None, 4, True), (None, 2, False), (None, 1, False)])  # open: good/easy count as right
def test_correct_is_the_check_or_a_good_self_rating(correct, rating, expected):
    assert counting.is_correct(correct, rating) is expected


def test_due_and_new_only_count_current_content():
    dues = {"a": EARLIER, "b": NOW, "c": LATER, "gone": EARLIER}
    content = ["a", "b", "c", "d"]
    assert counting.due_ids(dues, content, NOW) == ["a", "b"]
    assert counting.new_ids(dues, content) == ["d"]
    cards = {"a": (EARLIER, 1), "b": (NOW, 2), "c": (LATER, 3), "gone": (EARLIER, 2)}
    assert counting.card_counts(cards, content, NOW) == {"new": 1, "learning": 2, "review": 1, "total": 4, "due": 2}


def test_accuracy():
    assert counting.accuracy(2, 3) == 0.667 and counting.accuracy(0, 0) is None


@pytest.mark.parametrize("passed, expected", [
    ({}, None), ({None: "t1"}, "mqa"), ({None: "t1", "mqa": "t2"}, "mha"),
    ({None: "t3", "mqa": "t1", "mha": "t2"}, "mqa")])  # all passed: the one passed longest ago
def test_a_review_asks_the_next_task_not_yet_passed(passed, expected):
    assert pick_variant(["mqa", "mha"], passed) == expected


@dataclass
class Ex:
    slug: str
    difficulty: int = 1
    after: list = field(default_factory=list)


def test_new_exercises_come_after_their_prerequisites():
    catalogue = [Ex("gqa", 2, ["attention"]), Ex("flash", 3, ["attention"]), Ex("attention", 2), Ex("adam", 1)]
    assert [e.slug for e in planning.prerequisite_order(catalogue)] == ["adam", "attention", "gqa", "flash"]
    assert [e.slug for e in planning.new_exercises(catalogue, set(), set(), 5)] == ["adam", "attention"]
    assert [e.slug for e in planning.new_exercises(catalogue, {"adam", "attention"}, {"attention"}, 1)] == ["gqa"]
    assert planning.new_exercises(catalogue, set(), set(), 0) == []


def test_variants_and_prerequisites_are_validated(tmp_path):
    root = tmp_path / "exercises"
    shutil.copytree(FIXTURES / "loop" / "exercises", root)
    shutil.copytree(FIXTURES / "loop" / "solutions", tmp_path / "solutions")
    assert validate_exercise(root / "double") == [] and validate_exercise(root / "triple") == []
    manifest = root / "double" / "exercise.yaml"
    manifest.write_text(manifest.read_text().replace("params: {xs: [-3, 0, -1, 5]}", "params: 3")
                        + "after: [double, nosuch]\n")
    messages = [p.message for p in validate_exercise(root / "double")]
    assert any("variants[0].params must map" in m for m in messages)
    assert any("'after' names 'double'" in m for m in messages) and any("'nosuch'" in m for m in messages)


def test_round_summary_stats_and_topics_count_the_same_answers(course):
    import json
    import re

    from conftest import run_quiz

    env = {"QUIZ_CONTENT": str(course)}
    round_ = run_quiz("ask", "-n", "7", "--seed", "3", stdin="b\ngood\n" * 7, env=env)
    answered, correct = (int(re.search(rf"{word} (\d+)", round_.stdout).group(1)) for word in ("answered", "correct"))
    assert answered == 7
    stats = json.loads(run_quiz("stats", "--json", env=env).stdout)
    assert (stats["reviews"]["answered"], stats["reviews"]["correct"]) == (answered, correct)
    topics = json.loads(run_quiz("topics", "--json", env=env).stdout)
    by_topic = sum(round(t["accuracy"] * stats["by_topic"][t["topic"]]["answered"]) for t in topics)
    assert stats["reviews"]["accuracy"] == counting.accuracy(correct, answered) and by_topic == correct
    later = {**env, "QUIZ_NOW": "2099-01-01T00:00:00Z"}  # every answered card is due by then
    due = json.loads(run_quiz("stats", "--json", env=later).stdout)["due_today"]
    review = run_quiz("review", "--new", "0", stdin="q\n", env=later)
    assert due == answered and re.search(r"Review: (\d+) due", review.stdout).group(1) == str(due)
