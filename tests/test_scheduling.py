import json
import random
from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler

from quizcli import scheduling
from quizcli.environment import iso
from quizcli.planning import Due, plan_review
from quizcli.scheduling import rating_for_answer, rating_for_grade

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def test_rating_map_for_answers():
    assert rating_for_answer(False, 1, 10, False) == Rating.Again
    assert rating_for_answer(False, 1, 10, True) == Rating.Again
    assert rating_for_answer(True, 30, 10, False) == Rating.Good
    assert rating_for_answer(True, 3, 10, False) == Rating.Easy
    assert rating_for_answer(True, 3, 10, True) == Rating.Hard
    assert rating_for_answer(True, 3, None, False) == Rating.Good


def test_rating_map_for_grades():
    assert rating_for_grade(False, 0, 0) == Rating.Again
    assert rating_for_grade(True, 0, 0) == Rating.Good
    assert rating_for_grade(True, 0, 2) == Rating.Hard
    assert rating_for_grade(True, 3, 0) == Rating.Hard


def test_parse_rating_words_and_numbers():
    assert scheduling.parse_rating("Easy") == Rating.Easy
    assert scheduling.parse_rating("2") == Rating.Hard
    assert scheduling.parse_rating("maybe") is None


def test_reviews_move_due_dates_as_fsrs_says():
    random.seed(0)
    scheduler = Scheduler(enable_fuzzing=False)
    card, _ = scheduling.review(scheduler, None, "t.q", Rating.Good, NOW, 1000)
    expected, _ = Scheduler(enable_fuzzing=False).review_card(Card(card_id=scheduling.fsrs_id("t.q"), due=NOW),
                                                              Rating.Good, NOW, 1000)
    assert card.due == expected.due
    again, _ = scheduling.review(scheduler, card.to_json(), "t.q", Rating.Again, card.due, 1000)
    easy, _ = scheduling.review(scheduler, card.to_json(), "t.q", Rating.Easy, card.due, 1000)
    assert again.due < easy.due
    later = easy
    for _ in range(3):
        later, _ = scheduling.review(scheduler, later.to_json(), "t.q", Rating.Good, later.due, 1000)
    assert later.due - NOW > timedelta(days=7)
    assert json.loads(later.to_json())["card_id"] == scheduling.fsrs_id("t.q")


def test_plan_review_oldest_first_interleaved_then_new_up_to_allowance():
    due = [Due("a1", "a", "2026-11-20"), Due("a2", "a", "2026-11-21"), Due("a3", "a", "2026-11-22"),
           Due("b1", "b", "2026-11-22")]
    fresh = [("n1", "a"), ("n2", "a"), ("n3", "b")]
    queue = plan_review(due, fresh, new_allowed=2, limit=None)
    assert queue[:4] == ["a1", "b1", "a2", "a3"]
    assert queue[4:] == ["n1", "n3"]
    assert plan_review(due, fresh, new_allowed=-3, limit=2) == ["a1", "b1"]


def test_iso_strings_sort_like_times():
    times = [NOW, NOW + timedelta(microseconds=1), NOW + timedelta(seconds=1)]
    assert sorted(iso(t) for t in reversed(times)) == [iso(t) for t in times]
