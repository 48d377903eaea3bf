"""Spaced repetition with FSRS (the ``fsrs`` package). Pure: cards and times in, cards and choices out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from fsrs import Card, Rating, ReviewLog, Scheduler

RATING_NAMES = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy,
                "1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}


def make_scheduler(settings: dict, parameters: list[float] | None = None) -> Scheduler:
    extra = {"parameters": parameters} if parameters else {}
    return Scheduler(desired_retention=float(settings.get("desired_retention", 0.9)), **extra)


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


@dataclass
class Due:
    card_id: str
    topic: str
    due: str


def interleave(items: list, key) -> list:
    """Round-robin over groups (topics), keeping each group's order: no long runs of one topic."""
    groups: dict = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    result = []
    queues = list(groups.values())
    while queues:
        result += [queue.pop(0) for queue in queues]
        queues = [queue for queue in queues if queue]
    return result


def plan_review(due: list[Due], new_ids: list[tuple[str, str]], new_allowed: int, limit: int | None) -> list[str]:
    """Today's queue: due cards oldest-overdue first, topics interleaved; then new cards up to the allowance."""
    ordered = interleave(sorted(due, key=lambda d: d.due), key=lambda d: d.topic)
    queue = [d.card_id for d in ordered]
    fresh = interleave(new_ids, key=lambda pair: pair[1])[: max(new_allowed, 0)]
    queue += [card_id for card_id, _ in fresh]
    return queue[:limit] if limit is not None else queue


def iso(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601, so stored times compare correctly as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` on this machine's clock (days start at local midnight)."""
    return moment.astimezone().date()


def start_of_day(now: datetime) -> datetime:
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def end_of_day(now: datetime) -> datetime:
    return start_of_day(now) + timedelta(days=1)
