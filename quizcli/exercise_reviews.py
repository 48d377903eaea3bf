"""Exercise cards are reviewed by redoing them: when a fresh attempt starts, which variant it asks,
how its one rating is decided, and when it ends.

A review opens when ``quiz exercise SLUG`` finds the card due (or new) and closes once: on the first green
grade of the workspace file (Good, or Hard after hints or red grades), when the user gives up by showing the
solution (Again), or when a day ends with it still red (Again). Every grade is an attempt; only a closing
grade is a review.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import environment
from .content import Exercise
from .store import ExerciseReview, Store

AGAIN = 1  # fsrs.Rating.Again; fsrs itself is imported only when a card is written (`quiz review` starts fast)


def is_due(store: Store, exercise: Exercise, now: datetime) -> bool:
    """New (no card yet) or due by ``now``."""
    card = store.card(exercise.card_id)
    return card is None or card.due <= environment.iso(now)


def pick_variant(variant_ids: list[str], passed: dict[str | None, str]) -> str | None:
    """The first task not yet passed (None, the core task, comes first); once all have passed, the one
    passed longest ago."""
    tasks = [None, *variant_ids]
    fresh = [task for task in tasks if task not in passed]
    return fresh[0] if fresh else min(tasks, key=lambda task: passed[task])


def begin(store: Store, exercise: Exercise, now: datetime) -> ExerciseReview | None:
    """Open a review when the card is due or new and none is open; None means: keep the user's work."""
    if store.exercise_review(exercise.slug, open_only=True) or not is_due(store, exercise, now):
        return None
    variant = pick_variant([v["id"] for v in exercise.variants], store.passed_variants(exercise.slug))
    hints, _ = store.progress(exercise.slug)
    return store.start_exercise_review(exercise.slug, environment.iso(now), variant, hints)


def current_variant(store: Store, exercise: Exercise) -> dict | None:
    """The variant the workspace file was last started for (None: the core task)."""
    review = store.exercise_review(exercise.slug)
    return exercise.variant(review.variant) if review and review.variant else None


def _close(store: Store, settings: dict, exercise: Exercise, review: ExerciseReview, rating: int, passed: bool,
           when: datetime, answer: str) -> None:
    from fsrs import Rating

    from .progress import record_review

    started = datetime.fromisoformat(review.started_at)
    record_review(store, settings, card_id=exercise.card_id, kind="exercise", topic=exercise.topic,
                  rating=Rating(rating), correct=passed, answer=answer,
                  duration_ms=max(int((when - started).total_seconds() * 1000), 0), command="exercise", now=when,
                  also=lambda db: store.close_exercise_review(db, review.id, environment.iso(when), rating, passed))


def after_grade(store: Store, settings: dict, exercise: Exercise, passed: bool, workspace_graded: bool,
                now: datetime) -> tuple[ExerciseReview | None, int | None]:
    """The open review this grade belongs to (only a grade of the workspace file counts) and, when it was
    the first green one, the rating that closed it."""
    review = store.exercise_review(exercise.slug, open_only=True) if workspace_graded else None
    if review is None or not passed:
        return review, None
    from .scheduling import rating_for_grade

    hints, _ = store.progress(exercise.slug)
    rating = int(rating_for_grade(True, store.failed_attempts(review.id), hints - review.hints_at_start))
    _close(store, settings, exercise, review, rating, True, now, "passed")
    return review, rating


def give_up(store: Store, settings: dict, exercise: Exercise, now: datetime) -> bool:
    """Seeing the solution ends an open review as Again."""
    review = store.exercise_review(exercise.slug, open_only=True)
    if review is None:
        return False
    _close(store, settings, exercise, review, AGAIN, False, now, "gave up: solution shown")
    return True


def close_stale(store: Store, settings: dict, exercises: dict[str, Exercise], now: datetime) -> list[str]:
    """Reviews still red from an earlier day are rated Again at the end of the day they started; returns slugs."""
    today = environment.iso(environment.start_of_day(now))
    closed = []
    for review in store.open_exercise_reviews():
        if review.started_at >= today or review.slug not in exercises:
            continue
        started = datetime.fromisoformat(review.started_at)
        end = min(now, environment.end_of_day(started) - timedelta(seconds=1))
        _close(store, settings, exercises[review.slug], review, AGAIN, False, end, "still red at the end of the day")
        closed.append(review.slug)
    return closed
