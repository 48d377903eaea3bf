"""Progress figures from the store's rows. Pure: rows and a time in, a dict out (the ``--json`` shape)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from fsrs import State

from .scheduling import end_of_day, iso, local_day

FORECAST_DAYS = 30
CALENDAR_DAYS = 26 * 7


def _streak(days: set[date], today: date) -> int:
    """Consecutive days with a review, ending today (or yesterday, if today has none yet)."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def compute(cards: list, reviews: list, totals_by_topic: dict[str, int], now: datetime) -> dict:
    """``cards``: CardRow-like; ``reviews``: rows with reviewed_at, topic, correct, kind; totals: questions per topic."""
    today = local_day(now)
    states = Counter(card.state for card in cards)
    total = sum(totals_by_topic.values())
    seen_questions = sum(1 for card in cards if card.kind == "question")
    review_days = Counter(local_day(datetime.fromisoformat(r["reviewed_at"])) for r in reviews)
    due_by_day = Counter(max((local_day(datetime.fromisoformat(card.due)) - today).days, 0) for card in cards)
    by_topic: dict[str, dict] = {}
    for topic, count in sorted(totals_by_topic.items()):
        by_topic[topic] = {"questions": count, "seen": 0, "answered": 0, "correct": 0, "accuracy": None}
    for card in cards:
        if card.kind == "question" and card.topic in by_topic:
            by_topic[card.topic]["seen"] += 1
    for review in reviews:
        entry = by_topic.get(review["topic"])
        if entry is not None and review["correct"] is not None and review["kind"] == "question":
            entry["answered"] += 1
            entry["correct"] += review["correct"]
    for entry in by_topic.values():
        if entry["answered"]:
            entry["accuracy"] = round(entry["correct"] / entry["answered"], 3)
    graded = [r for r in reviews if r["correct"] is not None]
    return {
        "cards": {"new": max(total - seen_questions, 0), "learning": states[State.Learning] + states[State.Relearning],
                  "review": states[State.Review], "total": len(cards)},
        "reviews": {"today": review_days[today], "total": len(reviews),
                    "accuracy": round(sum(r["correct"] for r in graded) / len(graded), 3) if graded else None},
        "due_today": sum(1 for card in cards if card.due < iso(end_of_day(now))),
        "streak": _streak(set(review_days), today),
        "by_topic": by_topic,
        "forecast": [due_by_day[day] for day in range(FORECAST_DAYS)],
        "calendar": {str(day): count for day, count in sorted(review_days.items())
                     if (today - day).days < CALENDAR_DAYS},
    }
