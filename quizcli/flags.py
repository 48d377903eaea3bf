"""Flagging a card as wrong or unclear: ``f`` (or ``flag``) during ask, review or mock, then an optional reason.
A flagged card leaves the schedule (no review, no new card, no round draws it) until ``quiz flags --clear ID``."""

from __future__ import annotations

from datetime import datetime

from . import environment
from .content import bank_paths
from .store import Store

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def is_flag(reply: str, question: dict) -> bool:
    """``flag`` always; ``f`` unless it is a choice of this question (an mcq with six choices or more)."""
    word = reply.strip().lower()
    if word == "flag":
        return True
    takes_letters = question.get("type") in ("mcq", "multi") and len(question.get("choices") or []) > LETTERS.index("f")
    return word == "f" and not takes_letters


def flag(store: Store, question: dict, reason: str, now: datetime) -> None:
    path = bank_paths().get(question.get("topic", ""))
    store.flag(question["id"], str(path) if path else "", reason.strip(), environment.iso(now))


def unflagged(store: Store, questions: list[dict]) -> list[dict]:
    flagged = store.flagged_ids()
    return [q for q in questions if q["id"] not in flagged]
