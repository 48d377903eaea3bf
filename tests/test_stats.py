"""Stats from a known history, through the real store (SQL aggregation) and the pure computation."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from quizcli import environment
from quizcli.stats import compute
from quizcli.store import CardRow, Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def add(store, card_id, topic, due, state, reviews, kind="question"):
    with store.transaction() as db:
        for days_ago, correct in reviews:
            when = environment.iso(NOW - timedelta(days=days_ago))
            store.save_review(db, CardRow(card_id, kind, topic, "{}", environment.iso(due), state), when, {
                "reviewed_at": when, "rating": 3, "correct": correct, "duration_ms": 1, "answer": "x",
                "command": "ask", "review_log": "{}"})


CONTENT = [f"t.{i}" for i in range(1, 11)] + [f"l.{i}" for i in range(1, 6)] + ["exercise:adam"]


def figures(store):
    history = store.history(environment.iso(environment.start_of_day(NOW)))
    return compute(history, {"transformer": 10, "llm": 5}, CONTENT, NOW)


def test_stats_of_a_known_history(tmp_path):
    store = Store(tmp_path / "q.db")
    add(store, "t.1", "transformer", NOW - timedelta(hours=1), 2, [(0, 1), (5, 1)])
    add(store, "t.2", "transformer", NOW + timedelta(days=3), 1, [(0, 0)])
    add(store, "l.1", "llm", NOW + timedelta(days=40), 2, [(1, 1), (2, None)])
    add(store, "exercise:adam", "optimization", NOW + timedelta(days=1), 3, [(1, 1)], kind="exercise")
    result = figures(store)
    assert result["cards"] == {"new": 12, "learning": 2, "review": 2, "total": 16}
    # answered counts every question answer (the self-rated open one too, rated good: correct); the exercise
    # review is a review but not an answer
    assert result["reviews"] == {"today": 2, "total": 6, "answered": 5, "correct": 4, "accuracy": 0.8}
    assert result["due_today"] == 1  # due by now, as `quiz review` counts: t.2 (in 3 days) and adam (tomorrow) are not
    assert result["streak"] == 3
    assert result["by_topic"]["transformer"] == {"questions": 10, "seen": 2, "answered": 3, "correct": 2,
                                                 "accuracy": 0.667}
    assert result["by_topic"]["llm"] == {"questions": 5, "seen": 1, "answered": 2, "correct": 2, "accuracy": 1.0}
    assert result["forecast"][:4] == [1, 1, 0, 1] and len(result["forecast"]) == 30
    assert sum(result["forecast"]) == 3  # the card due in 40 days is beyond the horizon
    assert result["calendar"] == {"2026-11-18": 1, "2026-11-21": 1, "2026-11-22": 2, "2026-11-23": 2}


def test_streak_counts_from_yesterday_when_today_is_empty(tmp_path):
    store = Store(tmp_path / "q.db")
    add(store, "l.1", "llm", NOW, 2, [(1, 1), (2, 1), (4, 1)])
    assert figures(store)["streak"] == 2
    assert figures(Store(tmp_path / "empty.db"))["streak"] == 0
