"""Spaced repetition end to end: a simulated week, interruptions, concurrency."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from conftest import FIXTURES, run_quiz

WEEK = {"QUIZ_CONTENT": str(FIXTURES / "week")}
START = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def at(day: int, hour: int = 0) -> dict:
    return {**WEEK, "QUIZ_NOW": (START + timedelta(days=day, hours=hour)).isoformat()}


def reviews(home):
    db = sqlite3.connect(home / "quiz.db")
    return db.execute("SELECT card_id, rating, correct, reviewed_at, command FROM reviews ORDER BY id").fetchall()


def test_a_simulated_week_of_reviews(isolated):
    home = isolated / "home"
    first = run_quiz("review", stdin="a\n" * 5, env=at(0))
    assert "0 due, 5 new" in first.stdout and first.returncode == 0
    assert len(reviews(home)) == 5
    answered = 5
    for day in range(1, 8):
        result = run_quiz("review", stdin="a\n" * 20, env=at(day))
        assert result.returncode == 0, result.stderr
        answered = len(reviews(home))
    rows = reviews(home)
    assert {r[4] for r in rows} == {"review"}
    assert all(r[2] == 1 for r in rows)
    per_card = {}
    for card_id, *_ in rows:
        per_card[card_id] = per_card.get(card_id, 0) + 1
    assert set(per_card) == {f"llm.week-{i}" for i in range(1, 6)}
    assert all(1 <= n <= 4 for n in per_card.values()), per_card  # intervals grow: never reviewed daily
    stats = json.loads(run_quiz("stats", "--json", env=at(7)).stdout)
    assert stats["reviews"]["total"] == answered
    assert stats["cards"]["review"] == 5
    assert stats["due_today"] == 0
    horizon = (START + timedelta(days=7 + 30)).strftime("%Y-%m-%d")
    within = sqlite3.connect(home / "quiz.db").execute("SELECT COUNT(*) FROM cards WHERE due < ?", (horizon,))
    assert sum(stats["forecast"]) == within.fetchone()[0]
    assert run_quiz("review", env=at(7)).stdout.count("Nothing to review now") == 1


def test_lapses_come_back_sooner(isolated):
    home = isolated / "home"
    run_quiz("review", stdin="a\na\nb\nb\nb\n", env=at(0))
    db = sqlite3.connect(home / "quiz.db")
    due = dict(db.execute("SELECT card_id, due FROM cards"))
    wrong = [cid for cid, rating, correct, *_ in reviews(home) if not correct]
    right = [cid for cid, rating, correct, *_ in reviews(home) if correct]
    assert len(wrong) == 3
    assert max(due[c] for c in wrong) < min(due[c] for c in right)


def test_new_card_limit_per_day(isolated):
    run_quiz("config", "new_per_day", "2", env=WEEK)
    result = run_quiz("review", stdin="a\n" * 5, env=at(0))
    assert "0 due, 2 new" in result.stdout
    assert "0 due, 0 new" not in run_quiz("review", env=at(0, 2)).stdout
    assert len(reviews(isolated / "home")) == 2
    assert "3 new" in run_quiz("review", "--new", "5", stdin="a\n" * 5, env=at(0, 3)).stdout


def _start_review(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "quizcli", "review"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


def _wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _count(home):
    path = home / "quiz.db"
    if not path.exists():
        return 0
    try:
        return sqlite3.connect(path).execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _review_answering(home, lines: list[str]) -> subprocess.Popen:
    """A review in a real process that has answered (and committed) ``lines`` and waits for more."""
    process = _start_review(at(0))
    process.stdin.write("".join(f"{line}\n" for line in lines))
    process.stdin.flush()
    assert _wait_for(lambda: _count(home) == len(lines))
    return process


def test_kill_9_mid_review_loses_no_given_answer(isolated):
    home = isolated / "home"
    process = _review_answering(home, ["a", "b"])
    process.kill()
    process.wait()
    db = sqlite3.connect(home / "quiz.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[2] for r in reviews(home)] == [1, 0]
    assert db.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 2


def test_ctrl_c_mid_review_keeps_answers_and_prints_a_summary(isolated):
    home = isolated / "home"
    process = _review_answering(home, ["a"])
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "answered 1" in out and "Traceback" not in err
    assert len(reviews(home)) == 1


def test_two_reviews_at_once_never_corrupt_or_double_apply(isolated):
    home = isolated / "home"
    run_quiz("config", "new_per_day", "5", env=WEEK)
    first, second = _start_review(at(0)), _start_review(at(0))
    out1, _ = first.communicate("a\n" * 5, timeout=60)
    out2, _ = second.communicate("a\n" * 5, timeout=60)
    assert first.returncode == 0 and second.returncode == 0
    import re
    # the later process may find today's new cards already taken ("Nothing to review now")
    answered = [int(m.group(1)) if (m := re.search(r"answered (\d+)", out)) else 0 for out in (out1, out2)]
    assert sum(answered) >= 5
    rows = reviews(home)
    assert len(rows) == sum(answered)  # every answer of both processes applied exactly once
    db = sqlite3.connect(home / "quiz.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 5
    for card_id, raw in db.execute("SELECT card_id, fsrs_card FROM cards"):
        assert json.loads(raw)["state"] in (1, 2, 3)
