"""Today's review queue. Pure: due cards and new cards in, an ordered list of card ids out."""

from __future__ import annotations

from dataclasses import dataclass


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


def prerequisite_order(exercises: list) -> list:
    """Each exercise after the ones its ``after`` names; otherwise easier first, then by slug."""
    remaining = sorted(exercises, key=lambda e: (e.difficulty, e.slug))
    present = {e.slug for e in exercises}
    done: set[str] = set()
    order = []
    while remaining:
        ready = [e for e in remaining if all(slug in done or slug not in present for slug in e.after)]
        chosen = (ready or remaining)[0]  # a cycle (validate rejects one) cannot stall the queue
        order.append(chosen)
        done.add(chosen.slug)
        remaining.remove(chosen)
    return order


def new_exercises(exercises: list, started: set[str], passed: set[str], allowance: int) -> list:
    """Exercises to introduce today: never started, every prerequisite passed, in prerequisite order."""
    ready = [e for e in prerequisite_order(exercises)
             if e.slug not in started and all(slug in passed for slug in e.after)]
    return ready[: max(allowance, 0)]
