"""A mock interview: which questions and which exercise it asks, and its report. Pure: content and answers in."""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import counting
from .planning import interleave

AUTO_GRADED = ("mcq", "multi", "numeric", "cloze", "order")  # open answers need a self-rating after the answer
MINUTES_PER_QUESTION = 3  # a mock of M minutes asks M / 3 questions besides its exercise
WEAKEST = 3


@dataclass
class Result:
    """One answer of the mock: what the report needs."""

    card_id: str
    topic: str
    type: str
    correct: bool
    seconds: float


def question_count(minutes: int) -> int:
    return max(minutes // MINUTES_PER_QUESTION, 1)


def draw_questions(questions: list[dict], count: int, rng: random.Random) -> list[dict]:
    """``count`` auto-graded questions spread over their topics (each topic's own order shuffled)."""
    pool = [q for q in questions if q.get("type") in AUTO_GRADED]
    rng.shuffle(pool)
    return interleave(pool, key=lambda q: q["topic"])[:count]


def draw_exercise(exercises: list, gradable, rng: random.Random):
    """One exercise this machine can grade (``gradable(exercise)``), or None."""
    candidates = sorted((e for e in exercises if gradable(e)), key=lambda e: e.slug)
    return rng.choice(candidates) if candidates else None


def _score(results: list[Result]) -> dict:
    right = sum(r.correct for r in results)
    return {"answered": len(results), "correct": right, "score": counting.accuracy(right, len(results))}


def _grouped(results: list[Result], key) -> dict[str, dict]:
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    return {name: _score(group) for name, group in sorted(groups.items())}


def report(results: list[Result], exercise: dict | None, ending: str, seconds: float) -> dict:
    """Score by topic and type, time per answer, the weakest topics with the command to study each."""
    by_topic = _grouped(results, lambda r: r.topic)
    weakest = sorted((entry["score"], topic) for topic, entry in by_topic.items() if entry["score"] < 1)[:WEAKEST]
    return {**_score(results), "ending": ending, "seconds": round(seconds, 1), "by_topic": by_topic,
            "by_type": _grouped(results, lambda r: r.type),
            "answers": [{"id": r.card_id, "topic": r.topic, "type": r.type, "correct": r.correct,
                         "seconds": round(r.seconds, 1)} for r in results],
            "weakest": [{"topic": topic, "score": score, "command": f"quiz ask --topic {topic}"}
                        for score, topic in weakest],
            "exercise": exercise}
