"""Misconceptions link code and questions: a classic mistake of an exercise (``mistakes.yaml``, its ``tags``)
and the questions that teach the fact behind it (their ``misconceptions: [tags]``) share one vocabulary.

When a grade names a mistake, the linked question cards become due now, so the next ``quiz review`` asks them.
"""

from __future__ import annotations

from datetime import datetime

from . import environment
from .content import Exercise
from .store import CardRow, Store


def questions_by_tag(questions: dict[str, dict]) -> dict[str, list[str]]:
    """Misconception tag → ids of the questions tagged with it."""
    linked: dict[str, list[str]] = {}
    for qid, question in questions.items():
        for tag in question.get("misconceptions") or []:
            linked.setdefault(tag, []).append(qid)
    return linked


def linked(exercise: Exercise, mistake_ids: list[str], questions: dict[str, dict], lang: str) -> list[dict]:
    """``[{"id", "label", "cards"}]`` for each named mistake: its label and the questions on its tags."""
    by_tag = questions_by_tag(questions)
    known = {m.id: m for m in exercise.mistakes}
    entries = []
    for mistake_id in mistake_ids:
        mistake = known.get(mistake_id)
        if mistake is None:
            continue
        cards = list(dict.fromkeys(qid for tag in mistake.tags for qid in by_tag.get(tag, [])))
        entries.append({"id": mistake.id, "label": mistake.text(lang), "cards": cards})
    return entries


def make_due_now(store: Store, card_ids: list[str], questions: dict[str, dict], now: datetime) -> int:
    """Pull each card's due time forward to ``now`` (a card never seen gets one, due now); returns how many."""
    from fsrs import Card

    from .scheduling import new_card

    stamp = environment.iso(now)
    with store.transaction() as db:
        for card_id in card_ids:
            current = store.card(card_id, db)
            card = Card.from_json(current.fsrs_card) if current else new_card(card_id, now)
            if current and current.due <= stamp:
                continue
            card.due = now
            store.save_card(db, CardRow(card_id, "question", questions[card_id]["topic"], card.to_json(), stamp,
                                        int(card.state)))
    return len(card_ids)
