"""`quiz review` and `quiz stats` on a large history, as ratios to `quiz --help` in the same run.

    python benchmarks/review.py

Builds a content root with 10,000 questions and a store with 10,000 cards and 100,000 review logs
(generated, deterministic), then times the first question of `quiz review` and `quiz stats`.
Target: first question ≤ 1.5× `quiz --help`.

Measured on the shared 2-core machine, wall / CPU ratios of the first question: 4.84 / 2.94 before the bank index
and the schedule index (m005), 2.06-2.83 / 2.04-2.36 after. Left: rich (~21 ms of imports), the round's and
review's modules (~18 ms), and ~30 ms of work on 10,000 cards (the index of 10,000 ids, the schedule, one bank).
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _timing import QUIZ, report, timed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fsrs import Card, Rating, ReviewLog, State  # noqa: E402

from quizcli.environment import iso  # noqa: E402
from quizcli.scheduling import fsrs_id  # noqa: E402
from quizcli.store import Store  # noqa: E402

CARDS, REVIEWS, TOPICS = 10_000, 100_000, 19
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def write_content(root: Path) -> list[tuple[str, str]]:
    (root / "questions").mkdir(parents=True)
    ids = []
    for t in range(TOPICS):
        topic = f"topic{t}"
        lines = [f"topic: {topic}", f"title: {{en: Topic {t}, zh: 主题 {t}}}", "questions:"]
        for i in range(t, CARDS, TOPICS):
            qid = f"{topic}.q{i}"
            ids.append((qid, topic))
            lines += [f"  - id: {qid}", "    type: mcq", "    difficulty: 2", "    tags: [bench]",
                      "    source: {note: 002_82112c4dda528d8c.txt, section: Attention}",
                      f"    prompt: {{en: 'Question {i}: which one?', zh: '第 {i} 题：选哪个？'}}",
                      "    choices: [alpha, beta, gamma, delta]", "    correct: c",
                      "    answer: {en: gamma, zh: gamma}", "    explanation: {en: because, zh: 因为}"]
        (root / "questions" / f"{topic}.yaml").write_text("\n".join(lines) + "\n")
    return ids


def fill_store(path: Path, ids: list[tuple[str, str]]) -> None:
    rng = random.Random(0)
    store = Store(path)
    reviews_per_card = REVIEWS // CARDS
    with store.transaction() as db:
        for qid, topic in ids:
            due = NOW + timedelta(days=rng.randint(-5, 60))
            card = Card(card_id=fsrs_id(qid), state=State.Review, stability=10.0, difficulty=5.0, due=due,
                        last_review=due - timedelta(days=10))
            db.execute("INSERT INTO cards VALUES (?,?,?,?,?,?,?)",
                       (qid, "question", topic, card.to_json(), iso(due), int(State.Review), iso(NOW - timedelta(days=200))))
            for k in range(reviews_per_card):
                when = NOW - timedelta(days=rng.randint(0, 180), minutes=k)
                rating = rng.choice(list(Rating))
                log = ReviewLog(card_id=card.card_id, rating=rating, review_datetime=when, review_duration=3000)
                db.execute("INSERT INTO reviews (card_id, kind, topic, reviewed_at, rating, correct, duration_ms, answer,"
                           " command, review_log) VALUES (?,?,?,?,?,?,?,?,?,?)",
                           (qid, "question", topic, iso(when), int(rating), int(rating > 1), 3000, "c", "review",
                            log.to_json()))
    store.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, home = Path(tmp) / "content", Path(tmp) / "home"
        home.mkdir()
        ids = write_content(root)
        fill_store(home / "quiz.db", ids)
        env = {"QUIZ_HOME": str(home), "QUIZ_CONTENT": str(root), "QUIZ_NOW": NOW.isoformat()}
        rows = [
            ("quiz --help", timed(QUIZ + ["--help"], env=env)),
            ("quiz review (first question)", timed(QUIZ + ["review", "--limit", "1"], env=env)),
            ("quiz stats", timed(QUIZ + ["stats"], env=env, repeat=3)),
            ("quiz stats --json", timed(QUIZ + ["stats", "--json"], env=env, repeat=3)),
        ]
    print(f"store: {CARDS:,} cards, {REVIEWS:,} reviews; content: {CARDS:,} questions in {TOPICS} banks")
    report(rows, "quiz --help")


if __name__ == "__main__":
    main()
