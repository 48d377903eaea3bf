"""Preparing for an interview (issue 18): plan, readiness, mock, flags, progress surviving edits — driven
through the CLI with QUIZ_NOW over simulated weeks."""

import json
import math
import shutil
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from typer.testing import CliRunner

from conftest import FIXTURES, run_quiz
from quizcli import rounds
from quizcli.cli import app
from quizcli.errors import QuizError

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
INTERVIEW = (START + timedelta(days=30)).date()
PER_TOPIC = 30


def _question(topic: str, number: int) -> dict:
    return {"id": f"{topic}.q{number}", "type": "mcq", "difficulty": 1, "tags": ["plan"],
            "source": {"note": "003_415a681dd3e7d0eb.txt", "section": "1.预训练"},
            "prompt": {"en": f"{topic} question {number}: pick a.", "zh": f"{topic} 第 {number} 题：选 a。"},
            "choices": ["right", "wrong"], "correct": "a", "answer": {"en": "a", "zh": "a"}}


@pytest.fixture
def content(tmp_path, monkeypatch):
    """Two topics of PER_TOPIC one-line questions each; the local clock is UTC so days are UTC days."""
    root = tmp_path / "content"
    (root / "questions").mkdir(parents=True)
    for topic in ("alpha", "beta"):
        bank = {"topic": topic, "title": {"en": topic, "zh": topic},
                "questions": [_question(topic, n) for n in range(1, PER_TOPIC + 1)]}
        (root / "questions" / f"{topic}.yaml").write_text(yaml.safe_dump(bank, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("QUIZ_CONTENT", str(root))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield root
    monkeypatch.delenv("TZ")
    time.tzset()


def quiz(day: int, *args: str, stdin: str = ""):
    """One command in process on day ``day`` of the simulation (09:00 UTC)."""
    stamp = (START + timedelta(days=day)).isoformat()
    return CliRunner().invoke(app, list(args), input=stdin, env={"QUIZ_NOW": stamp, "COLUMNS": "100"})


def new_cards_per_day(home) -> dict[str, int]:
    rows = sqlite3.connect(home / "quiz.db").execute(
        "SELECT substr(first_review, 1, 10), COUNT(*) FROM cards WHERE first_review != '' GROUP BY 1")
    return dict(rows.fetchall())


def test_a_30_day_plan_introduces_cards_at_its_rate_and_reaches_the_target(content, isolated):
    made = quiz(0, "plan", "--interview", str(INTERVIEW), "--json")
    assert made.exit_code == 0, made.output
    plan = json.loads(made.output)
    rate = math.ceil(2 * PER_TOPIC / (30 - 3))  # 3 review-only days before the interview
    assert plan["new_per_day"] == rate and plan["reachable"] and plan["unseen"]["questions"] == 2 * PER_TOPIC
    readiness = []
    for day in range(30):
        assert quiz(day, "review", stdin="a\n" * 100).exit_code == 0
        if day % 7 == 0:
            readiness.append(json.loads(quiz(day, "stats", "--json").output)["readiness"])
    introduced = new_cards_per_day(isolated / "home")
    remaining = 2 * PER_TOPIC
    for day in range(30):
        stamp = str((START + timedelta(days=day)).date())
        expected = 0 if day >= 27 else min(rate, remaining)
        assert introduced.get(stamp, 0) == expected, (stamp, introduced)
        remaining -= expected
    assert remaining == 0
    on_the_day = json.loads(quiz(29, "stats", "--json", "--on", str(INTERVIEW)).output)["readiness"]
    for topic, entry in on_the_day.items():
        assert entry["seen"] == entry["cards"] == PER_TOPIC
        assert entry["recall"] >= 0.9, (topic, entry)
    means = [sum(entry["recall"] for entry in week.values()) for week in readiness]
    assert means == sorted(means) and means[0] < means[-1]  # readiness rises as cards are learned


def test_readiness_counts_unseen_cards_as_zero_and_uses_fsrs(content, isolated):
    before = json.loads(quiz(0, "stats", "--json").output)["readiness"]
    assert before == {"alpha": {"recall": 0.0, "seen": 0, "cards": PER_TOPIC},
                      "beta": {"recall": 0.0, "seen": 0, "cards": PER_TOPIC}}
    quiz(0, "ask", "--topic", "alpha", "-n", "3", "--seed", "1", stdin="a\n" * 3)
    after = json.loads(quiz(1, "stats", "--json").output)["readiness"]
    assert after["alpha"]["seen"] == 3 and after["beta"]["recall"] == 0.0
    from fsrs import Card, Scheduler

    db = sqlite3.connect(isolated / "home" / "quiz.db")
    cards = [Card.from_json(raw) for (raw,) in db.execute("SELECT fsrs_card FROM cards")]
    moment = START + timedelta(days=1)
    expected = sum(Scheduler().get_card_retrievability(card, moment) for card in cards) / PER_TOPIC
    assert after["alpha"]["recall"] == pytest.approx(expected, abs=1e-3)
    later = json.loads(quiz(1, "stats", "--json", "--on", str(INTERVIEW)).output)["readiness"]
    assert 0 < later["alpha"]["recall"] < after["alpha"]["recall"]  # forgetting, as FSRS predicts it


def test_an_impossible_plan_says_so_and_what_would_make_it_work(content):
    tight = quiz(0, "plan", "--interview", str(INTERVIEW), "--minutes-per-day", "1", "--json")
    assert tight.exit_code == 1
    figures = json.loads(tight.output)
    assert not figures["reachable"] and figures["needed_minutes"] > 1
    assert f"--minutes-per-day {figures['needed_minutes']}" in figures["advice"] and "fewer topics" in figures["advice"]
    fits = quiz(0, "plan", "--interview", str(INTERVIEW), "--minutes-per-day", str(figures["needed_minutes"]))
    assert fits.exit_code == 0, fits.output
    for date, words in ((str(START.date() - timedelta(days=1)), "in the past"), (str(START.date()), "today"),
                        (str(START.date() + timedelta(days=2)), "too close"), ("2026-02-30", "YYYY-MM-DD")):
        result = quiz(0, "plan", "--interview", date)
        assert isinstance(result.exception, QuizError) and words in str(result.exception), (date, result.output)


def test_plan_errors_are_one_line(content):
    result = run_quiz("plan", "--interview", "next week", env={"QUIZ_NOW": START.isoformat()})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "YYYY-MM-DD" in result.stderr
    shown = run_quiz("plan", env={"QUIZ_NOW": START.isoformat()})
    assert shown.returncode == 1 and "quiz plan --interview" in shown.stderr


def test_plan_progress_shows_planned_against_done_and_falls_behind(content):
    assert quiz(0, "plan", "--interview", str(INTERVIEW), "--topic", "alpha").exit_code == 0
    for day in range(3):
        quiz(day, "review", stdin="a\n" * 50)
    progress = json.loads(quiz(2, "plan", "--json").output)
    rate = progress["plan"]["new_per_day"]
    assert progress["plan"]["topics"] == ["alpha"] and progress["reachable"] and not progress["behind"]
    assert [row["done"] for row in progress["days"][:3]] == [row["planned"] for row in progress["days"][:3]] == [rate] * 3
    assert sum(row["planned"] for row in progress["days"]) == PER_TOPIC  # beta is outside the plan
    shown = quiz(2, "plan")
    assert "on track" in shown.output and "2026-11-04" in shown.output
    idle = json.loads(quiz(26, "plan", "--json").output)  # three weeks without reviews: all the rest in one day
    assert idle["reachable"] and idle["behind"] and idle["now_needed"]["new_per_day"] == PER_TOPIC - 3 * rate
    assert "behind" in quiz(26, "plan").output
    late = json.loads(quiz(27, "plan", "--json").output)
    assert not late["reachable"] and "too close" in late["problems"][0]
    assert "not reachable" in quiz(27, "plan").output
    assert quiz(26, "plan", "--clear").output.strip() == "plan cleared"
    assert quiz(26, "plan").exit_code == 1


def test_a_scripted_mock_produces_its_report_and_records_reviews(content, isolated):
    result = quiz(0, "mock", "--minutes", "15", "--seed", "3", "--json", stdin="a\nb\na\nh\na\nb\n")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.rindex("\n{\n") + 1:])
    assert report["answered"] == 5 and report["correct"] == 3 and report["ending"] == "done"
    assert set(report["by_topic"]) == {"alpha", "beta"} and report["by_type"] == {
        "mcq": {"answered": 5, "correct": 3, "score": 0.6}}
    assert len(report["answers"]) == 5 and all(a["seconds"] >= 0 for a in report["answers"])
    assert report["weakest"] and report["weakest"][0]["command"].startswith("quiz ask --topic ")
    assert "no hints in a mock interview" in result.output
    session = result.output[:result.output.rindex("\n{\n")]
    assert "Answer:" not in session and "✗" not in session  # nothing explained before the end
    shown = quiz(1, "mock", "--minutes", "6", "--seed", "3", stdin="b\na\n").output
    assert shown.index("✗") > shown.index("─ answers ─") and "Score by type" in shown
    rows = sqlite3.connect(isolated / "home" / "quiz.db").execute("SELECT command FROM reviews").fetchall()
    assert rows == [("mock",)] * 7


def test_ctrl_c_ends_a_mock_with_its_report(content, monkeypatch):
    answers = iter(["a", "b"])

    def read(self, prompt="> "):
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(rounds.Replies, "read", read)
    result = quiz(0, "mock", "--minutes", "30", "--seed", "1")
    assert result.exit_code == 130
    assert "answered 2" in result.output and "Score by topic" in result.output


def test_a_mock_stops_when_its_time_is_up(content, monkeypatch):
    from quizcli.commands import mock as mock_command

    class Clock:  # every look at the clock is 200 s later: the second question finds the 6 minutes gone
        moment = 0.0

        def monotonic(self):
            self.moment += 200
            return self.moment

    monkeypatch.setattr(mock_command, "time", Clock())
    result = quiz(0, "mock", "--minutes", "6", "--seed", "1", "--json", stdin="a\n" * 5)
    report = json.loads(result.output[result.output.rindex("\n{\n") + 1:])
    assert "⏱ 2:40 left" in result.output and "time is up" in result.output
    assert report["ending"] == "stopped" and report["answered"] == 1


def test_a_mock_with_the_exercise_grades_it(isolated, monkeypatch):
    monkeypatch.setenv("QUIZ_CONTENT", str(FIXTURES / "course"))
    result = quiz(0, "mock", "--minutes", "6", "--topic", "python", "--seed", "1", "--json",
                  stdin="a\n" * 2 + "later\ndone\n")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.rindex("\n{\n") + 1:])
    assert report["exercise"]["slug"] == "echo" and report["exercise"]["passed"] is False  # the starter fails
    assert "done or skip" in result.output


def test_a_flagged_card_is_not_asked_again(isolated, monkeypatch):
    monkeypatch.setenv("QUIZ_CONTENT", str(FIXTURES / "week"))
    first = quiz(0, "review", stdin="f\nthe choices are the same\n" + "a\n" * 10)
    assert "flagged llm.week-1" in first.output
    listed = json.loads(quiz(0, "flags", "--json").output)
    assert [(f["id"], f["reason"]) for f in listed] == [("llm.week-1", "the choices are the same")]
    assert listed[0]["file"].endswith("llm.yaml")
    for day in range(1, 15):
        assert "week-1" not in quiz(day, "review", stdin="a\n" * 10).output
        assert "week-1" not in quiz(day, "ask", "-n", "5", "--seed", str(day), stdin="a\n" * 5).output
    assert "back in the schedule" in quiz(15, "flags", "--clear", "llm.week-1").output
    assert "Week question 1:" in quiz(15, "review", stdin="a\n" * 10).output
    assert isinstance(quiz(15, "flags", "--clear", "llm.week-1").exception, QuizError)


def test_flag_is_an_answer_where_f_is_a_choice():
    from quizcli.flags import is_flag

    six = {"type": "mcq", "choices": list("123456")}
    assert not is_flag("f", six) and is_flag("flag", six) and is_flag("f", {"type": "mcq", "choices": ["x", "y"]})
    assert not is_flag("f(x)", {"type": "open"})


def _edit(bank, qid, **changes):
    data = yaml.safe_load(bank.read_text(encoding="utf-8"))
    for question in data["questions"]:
        if question["id"] == qid:
            question.update(changes)
    bank.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_an_edited_answer_sends_the_card_back_to_relearning_once(isolated, monkeypatch):
    root = isolated / "week"
    shutil.copytree(FIXTURES / "week", root)
    monkeypatch.setenv("QUIZ_CONTENT", str(root))
    bank = root / "questions" / "llm.yaml"
    quiz(0, "review", stdin="a\n" * 5)
    db = sqlite3.connect(isolated / "home" / "quiz.db")
    _edit(bank, "llm.week-2", prompt={"en": "Week question 2, reworded: pick a.", "zh": "第 2 题（改写）：选 a。"})
    _edit(bank, "llm.week-3", choices=["wrong", "right"], correct="b")  # same right choice: nothing changes
    _edit(bank, "llm.week-4", choices=["right", "wrong", "also right"], correct="c")
    told = quiz(1, "ask", "-n", "1", "--seed", "1", stdin="q\n")
    assert "1 question's answer has changed since you studied them (llm.week-4)" in told.output
    states = dict(db.execute("SELECT card_id, state FROM cards"))
    assert states["llm.week-4"] == 3 and states["llm.week-2"] == states["llm.week-3"] == 2
    assert len(db.execute("SELECT * FROM reviews WHERE card_id = 'llm.week-4'").fetchall()) == 1  # history kept
    assert "changed since" not in quiz(1, "review", stdin="q\n").output  # told once
    _edit(bank, "llm.week-5", prompt={"en": "Something else entirely?", "zh": "完全不同的问题？"},
          choices=["yes", "no"], answer={"en": "yes", "zh": "是"})
    report = json.loads(run_quiz("validate", str(bank), "--json", env={"QUIZ_CONTENT": str(root)}).stdout)
    assert [w["id"] for w in report["warnings"]] == ["llm.week-5"] and not report["errors"]


def test_time_per_card_comes_from_your_history_after_a_few_answers():
    from quizcli.interview_plan import DEFAULT_SECONDS, seconds_per_kind

    kinds = {"a": "mcq", "b": "numeric", "exercise:x": "exercise"}
    seconds = seconds_per_kind([("a", 12000), ("a", 20000), ("a", 100000), ("b", 5000), ("gone", 1)], kinds)
    assert seconds["mcq"] == 20 and seconds["numeric"] == DEFAULT_SECONDS["numeric"]  # median; 1 answer is too few
    assert seconds["exercise"] == DEFAULT_SECONDS["exercise"]
