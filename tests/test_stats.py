from datetime import datetime, timedelta, timezone

from quizcli.stats import compute
from quizcli.store import CardRow

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def review(days_ago, topic, correct, kind="question"):
    return {"reviewed_at": iso(NOW - timedelta(days=days_ago)), "topic": topic, "correct": correct, "kind": kind}


def test_stats_of_a_known_history(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time
    time.tzset()
    cards = [CardRow("t.1", "question", "transformer", "{}", iso(NOW - timedelta(hours=1)), 2),
             CardRow("t.2", "question", "transformer", "{}", iso(NOW + timedelta(days=3)), 1),
             CardRow("l.1", "question", "llm", "{}", iso(NOW + timedelta(days=40)), 2),
             CardRow("exercise:adam", "exercise", "optimization", "{}", iso(NOW + timedelta(days=1)), 3)]
    reviews = [review(0, "transformer", 1), review(0, "transformer", 0), review(1, "llm", 1), review(2, "llm", None),
               review(5, "transformer", 1), review(1, "optimization", 1, kind="exercise")]
    figures = compute(cards, reviews, {"transformer": 10, "llm": 5}, NOW)
    assert figures["cards"] == {"new": 12, "learning": 2, "review": 2, "total": 4}
    assert figures["reviews"] == {"today": 2, "total": 6, "accuracy": 0.8}
    assert figures["due_today"] == 1
    assert figures["streak"] == 3
    assert figures["by_topic"]["transformer"] == {"questions": 10, "seen": 2, "answered": 3, "correct": 2,
                                                  "accuracy": 0.667}
    assert figures["by_topic"]["llm"]["accuracy"] == 1.0
    assert figures["forecast"][:4] == [1, 1, 0, 1] and len(figures["forecast"]) == 30 and sum(figures["forecast"]) == 3
    assert figures["calendar"] == {"2026-11-18": 1, "2026-11-21": 1, "2026-11-22": 2, "2026-11-23": 2}


def test_streak_counts_from_yesterday_when_today_is_empty():
    figures = compute([], [review(1, "llm", 1), review(2, "llm", 1), review(4, "llm", 1)], {"llm": 1}, NOW)
    assert figures["streak"] == 2
    assert compute([], [], {}, NOW)["streak"] == 0
