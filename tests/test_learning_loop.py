"""The learning loop end to end, over several simulated days (QUIZ_NOW), on a small fixture course:
an exercise introduced by review, graded green once (one review, any number of attempts), due again later,
started afresh with the old file archived and a variant asked; a failed grade naming a mistake makes its
linked questions due now; a numeric answer equal to a declared mistake is named."""

import json
import sqlite3
from datetime import datetime, timedelta

import pytest
from conftest import FIXTURES, run_quiz

LOOP = FIXTURES / "loop"
REFERENCE = (LOOP / "solutions" / "double.py").read_text()
DROPS_LAST = REFERENCE.replace("for x in xs]", "for x in xs[:-1]]")
POSITIVE_ONLY = REFERENCE.replace("2 * x", "abs(2 * x)")  # right on the core lists, wrong on the variant's


@pytest.fixture
def loop(isolated):
    work = isolated / "workspace" / "double" / "solution.py"
    db = isolated / "home" / "quiz.db"

    def quiz(day: datetime, *args, stdin=""):
        stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ")
        return run_quiz(*args, stdin=stdin, env={"QUIZ_CONTENT": str(LOOP), "QUIZ_NOW": stamp, "TZ": "UTC"})

    def rows(query, *args):
        return sqlite3.connect(db).execute(query, args).fetchall()

    return quiz, work, rows


DAY1 = datetime(2026, 11, 23, 9, 0)


def test_a_week_of_the_learning_loop(loop, isolated):
    quiz, work, rows = loop
    # Day 1: review introduces one new exercise (the prerequisite first), then it is done in two attempts
    first = quiz(DAY1, "review", "--new", "0")
    assert "new: quiz exercise double" in first.stdout and "triple" not in first.stdout
    started = quiz(DAY1, "exercise", "double")
    assert "a review of this exercise starts now" in started.stdout and "Write double(xs)" in started.stdout
    work.write_text(DROPS_LAST)
    red = json.loads(quiz(DAY1 + timedelta(minutes=5), "grade", "--json").stdout)
    assert red["passed"] is False
    assert red["misconceptions"] == [{"id": "drops_last", "label": "drops the last item",
                                      "cards": ["python.loop-slice", "python.loop-range"]}]
    # ... which brings the questions on that mistake back now
    assert rows("SELECT card_id FROM cards WHERE kind = 'question' AND due <= '2026-11-23T09:05:00.000000+00:00' "
                "ORDER BY card_id") == [("python.loop-range",), ("python.loop-slice",)]
    again = quiz(DAY1 + timedelta(minutes=6), "grade")
    assert "2 questions on this are now due: quiz review" in again.stdout
    asked = quiz(DAY1 + timedelta(minutes=7), "review", "--new", "0", stdin="b\nb\n")
    assert "Review: 2 due, 0 new" in asked.stdout and "in progress: quiz grade double" in asked.stdout
    work.write_text(REFERENCE)
    green = quiz(DAY1 + timedelta(minutes=10), "grade")
    assert green.returncode == 0 and "review recorded: Hard" in green.stdout  # green after red grades
    assert "practice" in quiz(DAY1 + timedelta(minutes=11), "grade").stdout
    other = isolated / "other.py"
    other.write_text(REFERENCE)
    quiz(DAY1 + timedelta(minutes=12), "grade", "--file", str(other))
    assert rows("SELECT rating, command FROM reviews WHERE card_id = 'exercise:double'") == [(2, "exercise")]
    assert len(rows("SELECT * FROM attempts WHERE slug = 'double'")) == 5
    stats = json.loads(quiz(DAY1 + timedelta(minutes=13), "stats", "--json").stdout)
    assert stats["attempts"] == {"today": 5, "total": 5, "passed": 3}
    assert stats["reviews"]["total"] == 3 and stats["reviews"]["answered"] == 2  # 2 questions + 1 exercise review
    assert "new: quiz exercise triple" not in quiz(DAY1 + timedelta(hours=1), "review", "--new", "0").stdout

    # Day 2: one new exercise a day, and double has passed, so its follow-up comes in
    assert "new: quiz exercise triple" in quiz(DAY1 + timedelta(days=1), "review", "--new", "0").stdout

    # Once due again: a fresh starter, the solved file archived, the next variant asked
    (due,) = rows("SELECT due FROM cards WHERE card_id = 'exercise:double'")[0]
    later = datetime.fromisoformat(due).replace(tzinfo=None) + timedelta(hours=1)
    assert "due for review: quiz exercise double" in quiz(later, "review", "--new", "0").stdout
    fresh = quiz(later, "exercise", "double")
    assert "variant · negatives" in fresh.stdout and "your previous file was moved to" in fresh.stdout
    assert work.read_text() == (LOOP / "exercises" / "double" / "starter.py").read_text()
    archived = list((isolated / "home" / "attempts" / "double").glob("*.py"))
    assert [path.read_text() for path in archived] == [REFERENCE]
    assert str(archived[0]) in quiz(later, "exercise", "double", "--history").stdout
    work.write_text(POSITIVE_ONLY)
    variant_red = json.loads(quiz(later + timedelta(minutes=5), "grade", "--json").stdout)
    failed = [t["name"] for t in variant_red["tests"] if t["outcome"] != "passed"]
    assert failed == ["test_variant_lists"]  # the core checks pass: only the variant's lists catch it

    # Still red when the day ends: the review is rated Again, and the next start is a fresh attempt again
    next_day = later + timedelta(days=1)
    quiz(next_day, "review", "--new", "0")
    assert [r for (r,) in rows("SELECT rating FROM reviews WHERE card_id = 'exercise:double' ORDER BY id")] == [2, 1]
    assert "a review of this exercise starts now" in quiz(next_day, "exercise", "double").stdout
    assert len(list((isolated / "home" / "attempts" / "double").glob("*.py"))) == 2


def test_a_numeric_answer_equal_to_a_declared_mistake_is_named(loop):
    quiz, _, rows = loop
    result = quiz(DAY1, "ask", "--type", "numeric", stdin="3\n")
    assert "wrong" in result.stdout
    assert "that is the classic mistake: rounded down: the tail items get no thread" in result.stdout
    assert rows("SELECT correct FROM reviews") == [(0,)]


def test_validate_rejects_a_declared_mistake_inside_the_tolerance():
    result = run_quiz("validate", str(FIXTURES / "mistakes"), "--json")
    assert result.returncode == 1
    assert any("accepted by the tolerance" in e["message"] for e in json.loads(result.stdout)["errors"])


def test_showing_the_solution_gives_up_the_review(loop):
    quiz, work, rows = loop
    quiz(DAY1, "exercise", "double")
    shown = quiz(DAY1 + timedelta(minutes=3), "solution", "double", "--yes")
    assert "review recorded: Again" in shown.stdout
    assert rows("SELECT rating FROM reviews WHERE card_id = 'exercise:double'") == [(1,)]
    work.write_text(REFERENCE)
    assert "review recorded" not in quiz(DAY1 + timedelta(minutes=4), "grade").stdout  # it is closed: practice now
    refused = quiz(DAY1, "exercise", "--history")
    assert refused.returncode == 1 and "quiz exercise SLUG --history" in refused.stderr

