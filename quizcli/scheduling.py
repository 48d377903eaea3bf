"""Spaced repetition with FSRS (the ``fsrs`` package). Pure: cards and times in, cards and choices out."""

from __future__ import annotations

import hashlib
from datetime import datetime

from fsrs import Card, Rating, ReviewLog, Scheduler

RATING_NAMES = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy,
                "1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}


def make_scheduler(settings: dict, parameters: list[float] | None = None, fuzz: bool = True) -> Scheduler:
    """``fuzz=False`` for forecasts, which must give the same days each time."""
    extra = {"parameters": parameters} if parameters else {}
    return Scheduler(desired_retention=float(settings.get("desired_retention", 0.9)), enable_fuzzing=fuzz, **extra)


def fsrs_id(card_id: str) -> int:
    """A stable integer id for the fsrs Card (the library wants an int; ours are strings)."""
    return int.from_bytes(hashlib.sha1(card_id.encode()).digest()[:6], "big")


def new_card(card_id: str, now: datetime) -> Card:
    return Card(card_id=fsrs_id(card_id), due=now)


def rating_for_answer(correct: bool, seconds: float, fast_seconds: float | None, hinted: bool) -> Rating:
    """Auto-graded answer → rating: wrong Again, right after a hint Hard, right and fast Easy, else Good."""
    if not correct:
        return Rating.Again
    if hinted:
        return Rating.Hard
    if fast_seconds is not None and seconds <= fast_seconds:
        return Rating.Easy
    return Rating.Good


def rating_for_grade(passed: bool, attempts_before: int, hints: int) -> Rating:
    """Exercise grade → rating: red Again; green after hints or retries Hard; green first try Good."""
    if not passed:
        return Rating.Again
    return Rating.Hard if hints or attempts_before else Rating.Good


def parse_rating(reply: str) -> Rating | None:
    return RATING_NAMES.get(reply.strip().lower())


def review(scheduler: Scheduler, card_json: str | None, card_id: str, rating: Rating, now: datetime,
           duration_ms: int) -> tuple[Card, ReviewLog]:
    card = Card.from_json(card_json) if card_json else new_card(card_id, now)
    return scheduler.review_card(card, rating, now, duration_ms)
