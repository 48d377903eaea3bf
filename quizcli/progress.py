"""Where a review is written: one answer → one FSRS review → one transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Callable

from fsrs import Rating

from . import environment, scheduling
from .store import CardRow, Store


def record_review(store: Store, settings: dict, *, card_id: str, kind: str, topic: str, rating: Rating,
                  correct: bool | None, answer: str, duration_ms: int, command: str, now: datetime,
                  also: Callable[[sqlite3.Connection], None] | None = None) -> CardRow:
    """Apply one review to the card and log it, atomically (with ``also``, if given); returns the card as saved."""
    scheduler = scheduling.make_scheduler(settings, settings.get("fsrs_parameters"))
    with store.transaction() as db:
        current = store.card(card_id, db)
        card, log = scheduling.review(scheduler, current.fsrs_card if current else None, card_id, rating, now,
                                      duration_ms)
        row = CardRow(card_id, kind, topic, card.to_json(), environment.iso(card.due), int(card.state))
        store.save_review(db, row, environment.iso(now), {
            "reviewed_at": environment.iso(now), "rating": int(rating),
            "correct": None if correct is None else int(correct), "duration_ms": duration_ms,
            "answer": answer, "command": command, "review_log": log.to_json()})
        if also:
            also(db)
    return row
