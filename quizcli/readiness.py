"""Readiness: the mean predicted recall of a topic's cards on a day, as FSRS itself predicts it
(``Scheduler.get_card_retrievability``); a card never reviewed counts as 0. Pure: cards and a moment in."""

from __future__ import annotations

from datetime import date, datetime

from typing import TYPE_CHECKING

from . import environment
from .errors import QuizError

if TYPE_CHECKING:
    from fsrs import Scheduler


def parse_day(raw: str, what: str = "date") -> date:
    """A calendar day from ``YYYY-MM-DD``; anything else is a one-line error."""
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise QuizError(f"{what} {raw!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-24") from None


def morning(day: date) -> datetime:
    """When a day's interview is assumed to start: local midnight of that day, in UTC (readiness at its start)."""
    return environment.start_of_day(datetime(day.year, day.month, day.day, 12).astimezone())


def recall(scheduler: Scheduler, card_json: str | None, on: datetime) -> float:
    if not card_json:
        return 0.0
    from fsrs import Card  # here: ``parse_day`` and ``morning`` serve commands that never need fsrs

    return float(scheduler.get_card_retrievability(Card.from_json(card_json), on))


def by_topic(scheduler: Scheduler, scope: dict[str, list[str]], cards: dict[str, str], on: datetime) -> dict:
    """``scope``: topic → its card ids; ``cards``: card id → fsrs card JSON of the cards reviewed.
    Returns ``{topic: {"recall", "seen", "cards"}}`` (recall rounded to 3 places)."""
    result = {}
    for topic, ids in sorted(scope.items()):
        values = [recall(scheduler, cards.get(card_id), on) for card_id in ids]
        result[topic] = {"recall": round(sum(values) / len(values), 3) if values else 0.0,
                         "seen": sum(card_id in cards for card_id in ids), "cards": len(ids)}
    return result
