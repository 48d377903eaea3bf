"""Preparing for an interview date: how many new questions and exercises per day get every card in scope learned
and recalled at ``desired_retention`` on the day, within the daily minutes. Pure: cards, times and a scheduler in.

The forecast replays FSRS itself: every card (seen ones from their saved state, new ones from the day they are
introduced) is reviewed on each day it falls due with every answer right, once a day at the hour the plan is
made. The last ``REVIEW_ONLY_DAYS`` days introduce nothing, so the last new cards are reviewed before the day.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fsrs is imported where it is used: `quiz review` reads the plan without it
    from fsrs import Card, Scheduler

from . import environment, readiness
from .errors import QuizError

REVIEW_ONLY_DAYS = 3
DEFAULT_SECONDS = {"mcq": 30, "multi": 45, "numeric": 90, "cloze": 45, "order": 60, "open": 120, "exercise": 1800}
MIN_SAMPLES = 3  # answers of a type before the user's own median replaces the default
STORE_KEY = "interview_plan"


@dataclass
class Item:
    """A card in the plan's scope: question id or ``exercise:<slug>``, its topic, its type (or ``exercise``)."""

    card_id: str
    topic: str
    kind: str


@dataclass
class Plan:
    interview: str            # YYYY-MM-DD
    minutes_per_day: int
    topics: list[str]         # empty: every topic
    made: str                 # YYYY-MM-DD, the day the plan was made
    new_per_day: int          # new questions a day
    exercises_per_day: int    # new exercises a day
    planned: list[int] = field(default_factory=list)  # new cards (questions + exercises) planned per day from made

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> "Plan":
        return cls(**json.loads(raw))

    def allowance(self, today: date) -> tuple[int, int] | None:
        """(new questions, new exercises) allowed today; (0, 0) in the review-only days; None once it is over."""
        interview = date.fromisoformat(self.interview)
        if today >= interview:
            return None
        if today >= interview - timedelta(days=REVIEW_ONLY_DAYS):
            return 0, 0
        return self.new_per_day, self.exercises_per_day


@dataclass
class Forecast:
    days: int                     # days from today to the interview
    unseen_questions: int
    unseen_exercises: int
    new_per_day: int
    exercises_per_day: int
    minutes: list[float]          # predicted minutes of study per day, from today
    recall: dict[str, float]      # topic → predicted mean recall on the interview morning
    target: float
    minutes_per_day: int
    planned: list[int]            # new cards introduced per day, from today

    @property
    def needed_minutes(self) -> int:
        return math.ceil(max(self.minutes, default=0))

    def problems(self) -> list[str]:
        """Why the plan cannot work (empty when it can)."""
        found = []
        if self.needed_minutes > self.minutes_per_day:
            found.append(f"it needs about {self.needed_minutes} min on its busiest day, more than "
                         f"{self.minutes_per_day} min a day")
        low = [topic for topic, value in self.recall.items() if value < self.target]
        if low and not found:
            found.append(f"predicted recall stays below {self.target:.0%} in {', '.join(low)}")
        return found


def seconds_per_kind(durations: list[tuple[str, int]], kinds: dict[str, str]) -> dict[str, float]:
    """The user's median seconds per card type (from ``(card id, ms)`` reviews), the default until
    ``MIN_SAMPLES`` answers of that type exist."""
    from statistics import median  # here: statistics imports fractions and decimal, which review never needs

    samples: dict[str, list[float]] = {}
    for card_id, ms in durations:
        if card_id in kinds:
            samples.setdefault(kinds[card_id], []).append(ms / 1000)
    seconds = {kind: float(value) for kind, value in DEFAULT_SECONDS.items()}
    seconds.update({kind: median(values) for kind, values in samples.items() if len(values) >= MIN_SAMPLES})
    return seconds


def _replay(scheduler: Scheduler, card: Card, moments: list[datetime], start: int) -> tuple[list[int], Card]:
    """The days (indices into ``moments``, from ``start``) on which the card is due and answered right."""
    from fsrs import Rating

    days = []
    for index in range(start, len(moments)):
        if card.due <= moments[index]:
            card, _ = scheduler.review_card(card, Rating.Good, moments[index])
            days.append(index)
    return days, card


def forecast(items: list[Item], cards: dict[str, str], seconds: dict[str, float], scheduler: Scheduler,
             now: datetime, interview: date, minutes_per_day: int) -> Forecast:
    """``cards``: card id → fsrs card JSON of every card already reviewed. Raises QuizError when the date is past
    or too close for the cards not seen yet."""
    from fsrs import Card

    from .scheduling import new_card

    days = (interview - environment.local_day(now)).days
    if days <= 0:
        raise QuizError(f"the interview date {interview} is {'today' if days == 0 else 'in the past'}: "
                        "give a later date (YYYY-MM-DD)")
    unseen = [item for item in items if item.card_id not in cards]
    new_days = days - REVIEW_ONLY_DAYS
    if unseen and new_days < 1:
        raise QuizError(f"{interview} is too close: {len(unseen)} cards not seen yet need at least "
                        f"{REVIEW_ONLY_DAYS + 1} days (new cards, then {REVIEW_ONLY_DAYS} days of review); "
                        "pick fewer topics (--topic) or a later date")
    questions = [item for item in unseen if item.kind != "exercise"]
    exercises = [item for item in unseen if item.kind == "exercise"]
    rates = (math.ceil(len(questions) / new_days) if questions else 0,
             math.ceil(len(exercises) / new_days) if exercises else 0)
    moments = [now + timedelta(days=day) for day in range(days)]
    minutes, planned = [0.0] * days, [0] * days
    on = readiness.morning(interview)
    recalls: dict[str, list[float]] = {}
    for item, start in _start_days(items, cards, rates):
        card = Card.from_json(cards[item.card_id]) if item.card_id in cards else new_card(item.card_id, moments[start])
        review_days, card = _replay(scheduler, card, moments, start)
        planned[start] += item.card_id not in cards
        for day in review_days:
            minutes[day] += seconds.get(item.kind, DEFAULT_SECONDS["open"]) / 60
        recalls.setdefault(item.topic, []).append(float(scheduler.get_card_retrievability(card, on)))
    return Forecast(days, len(questions), len(exercises), *rates, minutes,
                    {topic: round(sum(v) / len(v), 3) for topic, v in sorted(recalls.items())},
                    scheduler.desired_retention, minutes_per_day, planned)


def _start_days(items: list[Item], cards: dict[str, str], rates: tuple[int, int]):
    """Each item with the day it is first reviewed: 0 for seen cards, new ones in order at the daily rates."""
    introduced = {"question": 0, "exercise": 0}
    for item in items:
        if item.card_id in cards:
            yield item, 0
            continue
        group = "exercise" if item.kind == "exercise" else "question"
        rate = rates[group == "exercise"]
        yield item, introduced[group] // rate
        introduced[group] += 1


def advice(result: Forecast, items: list[Item]) -> str:
    """What would make an unreachable plan reachable."""
    sizes: dict[str, int] = {}
    for item in items:
        sizes[item.topic] = sizes.get(item.topic, 0) + 1
    largest = ", ".join(f"{topic} ({count} cards)" for topic, count in
                        sorted(sizes.items(), key=lambda pair: -pair[1])[:3])
    return (f"give it --minutes-per-day {result.needed_minutes}, or fewer topics (--topic; the largest: {largest}), "
            "or a later date")
