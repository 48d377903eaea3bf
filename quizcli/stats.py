"""Progress figures from the store's aggregates. Pure: a History and a day in, a dict out (the ``--json`` shape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import counting, environment
FORECAST_DAYS = 30
CALENDAR_DAYS = 26 * 7


@dataclass
class History:
    """What the store knows, already counted in SQL (days are local calendar days, 'YYYY-MM-DD')."""

    cards: list[tuple[str, str, int, int]] = field(default_factory=list)  # (kind, topic, state, count)
    states: dict[str, tuple[str, int]] = field(default_factory=dict)     # card id → (due ISO, state)
    due_days: dict[str, int] = field(default_factory=dict)                # due day → cards
    review_days: dict[str, int] = field(default_factory=dict)             # review day → reviews
    topic_answers: dict[str, tuple[int, int]] = field(default_factory=dict)  # topic → (graded answers, right)
    graded: tuple[int, int] = (0, 0)                                      # question answers, right ones
    attempts: tuple[int, int] = (0, 0)                                    # exercise grades, passing ones
    attempts_today: tuple[int, int] = (0, 0)


def _streak(days: set[date], today: date) -> int:
    """Consecutive days with a review, ending today (or yesterday, if today has none yet)."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def compute(history: History, totals_by_topic: dict[str, int], content: list[str], now: datetime) -> dict:
    """``content``: the card ids of every question and exercise there is now."""
    today = environment.local_day(now)
    seen_by_topic: dict[str, int] = {}
    for kind, topic, state, count in history.cards:
        if kind == "question":
            seen_by_topic[topic] = seen_by_topic.get(topic, 0) + count
    review_days = {date.fromisoformat(day): count for day, count in history.review_days.items()}
    forecast = [0] * FORECAST_DAYS
    for day, count in history.due_days.items():
        offset = max((date.fromisoformat(day) - today).days, 0)
        if offset < FORECAST_DAYS:
            forecast[offset] += count
    by_topic = {}
    for topic, total in sorted(totals_by_topic.items()):
        answered, right = history.topic_answers.get(topic, (0, 0))
        by_topic[topic] = {"questions": total, "seen": seen_by_topic.get(topic, 0), "answered": answered,
                           "correct": right, "accuracy": counting.accuracy(right, answered)}
    answered, right = history.graded
    cards = counting.card_counts(history.states, content, environment.iso(now))
    due = cards.pop("due")
    return {
        "cards": cards,
        "reviews": {"today": review_days.get(today, 0), "total": sum(review_days.values()),
                    "answered": answered, "correct": right, "accuracy": counting.accuracy(right, answered)},
        "attempts": {"today": history.attempts_today[0], "total": history.attempts[0],
                     "passed": history.attempts[1]},
        "due_today": due,
        "streak": _streak(set(review_days), today),
        "by_topic": by_topic,
        "forecast": forecast,
        "calendar": {str(day): count for day, count in sorted(review_days.items()) if (today - day).days < CALENDAR_DAYS},
    }
