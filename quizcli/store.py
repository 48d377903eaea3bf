"""The SQLite store in QUIZ_HOME: cards, reviews, exercise attempts. WAL, one transaction per answer."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import environment
from .counting import ANSWERED_SQL, CORRECT_SQL
from .errors import QuizError
from .migrations import MIGRATIONS, migrate

BUSY_TIMEOUT_S = 30


def _retry_while_busy(action, seconds: float = BUSY_TIMEOUT_S):
    """Switching to WAL needs a moment alone with the file and ignores the busy timeout:
    two processes creating the database at once would otherwise fail."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


CARD_COLUMNS = "card_id, kind, topic, fsrs_card, due, state"


@dataclass
class CardRow:
    card_id: str
    kind: str
    topic: str
    fsrs_card: str
    due: str
    state: int


REVIEW_COLUMNS = "id, slug, started_at, variant, hints_at_start, closed_at"


@dataclass
class ExerciseReview:
    id: int
    slug: str
    started_at: str
    variant: str | None
    hints_at_start: int
    closed_at: str | None


class Store:
    def __init__(self, path: Path | None = None, read_only_ok: bool = False):
        """Open (and create or migrate) the database. A read-only home is an error unless ``read_only_ok``
        (commands that only read: the history is then read as it is, or is empty when there is none)."""
        self.path = path or environment.home() / "quiz.db"
        self.read_only = not environment.writable(self.path.parent) or (
            self.path.exists() and not os.access(self.path, os.W_OK))
        if self.read_only and not read_only_ok:
            raise environment.not_writable(self.path.parent)
        try:
            self.db = self._connect()
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise QuizError(f"{self.path} is not a readable quiz database ({exc}); rename it (keep it as a backup) "
                            "to start afresh")
        if version > len(MIGRATIONS):
            raise QuizError(f"{self.path} was written by a newer quiz (schema {version} > {len(MIGRATIONS)}); "
                            "upgrade quiz")
        if self.read_only and version < len(MIGRATIONS) and self.path.exists():
            raise QuizError(f"{self.path} needs a schema update, which needs write access: "
                            f"make {self.path.parent} writable")
        try:
            migrate(self.db)
        except sqlite3.DatabaseError as exc:
            raise QuizError(f"{self.path}: cannot update the database schema ({exc})")

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            if not self.path.exists():
                return sqlite3.connect(":memory:", isolation_level=None)  # nothing recorded yet
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            try:
                db = sqlite3.connect(uri, uri=True, isolation_level=None)
                db.execute("PRAGMA user_version")
                return db
            except sqlite3.OperationalError:  # WAL needs a -shm file it cannot create here: read the file as is
                return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        _retry_while_busy(lambda: db.execute("PRAGMA journal_mode=WAL"))
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction: read-modify-write of a card is atomic across processes."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise QuizError(f"the database is busy ({exc}); is another quiz stuck?")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- cards and reviews ---

    def card(self, card_id: str, db: sqlite3.Connection | None = None) -> CardRow | None:
        row = (db or self.db).execute(
            f"SELECT {CARD_COLUMNS} FROM cards WHERE card_id = ?", (card_id,)).fetchone()
        return CardRow(*row) if row else None

    def cards(self) -> list[CardRow]:
        return [CardRow(*row) for row in self.db.execute(
            f"SELECT {CARD_COLUMNS} FROM cards")]

    def dues(self) -> dict[str, str]:
        """Every card's due time (ISO), by card id: all that planning a review needs."""
        return dict(self.db.execute("SELECT card_id, due FROM cards"))

    def first_due(self, card_ids) -> str | None:
        """The earliest due time (ISO) among ``card_ids`` (anything with ``in``); read in due order, on the index,
        so it usually stops at the first row."""
        for card_id, due in self.db.execute("SELECT card_id, due FROM cards ORDER BY due"):
            if card_id in card_ids:
                return due
        return None

    def save_card(self, db: sqlite3.Connection, card: CardRow) -> None:
        """Reschedule a card without a review (a card created so has no first review: it is not a new card today)."""
        db.execute(
            "INSERT INTO cards (card_id, kind, topic, fsrs_card, due, state, first_review) VALUES (?,?,?,?,?,?,'') "
            "ON CONFLICT(card_id) DO UPDATE SET fsrs_card=excluded.fsrs_card, due=excluded.due",
            (card.card_id, card.kind, card.topic, card.fsrs_card, card.due, card.state))

    def save_review(self, db: sqlite3.Connection, card: CardRow, first_review: str, review: dict) -> None:
        db.execute(
            "INSERT INTO cards (card_id, kind, topic, fsrs_card, due, state, first_review) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(card_id) DO UPDATE SET fsrs_card=excluded.fsrs_card, due=excluded.due, "
            "state=excluded.state, topic=excluded.topic",
            (card.card_id, card.kind, card.topic, card.fsrs_card, card.due, card.state, first_review))
        db.execute(
            "INSERT INTO reviews (card_id, kind, topic, reviewed_at, rating, correct, duration_ms, answer, command, "
            "review_log) VALUES (:card_id, :kind, :topic, :reviewed_at, :rating, :correct, :duration_ms, :answer, "
            ":command, :review_log)", dict(review, card_id=card.card_id, kind=card.kind, topic=card.topic))

    def adopt_aliases(self, aliases: dict[str, str]) -> None:
        """Hand the cards and reviews of merged questions' old ids (alias → kept id) to the id kept."""
        marks = ",".join("?" * len(aliases))
        found = [row[0] for row in self.db.execute(
            f"SELECT card_id FROM cards WHERE card_id IN ({marks})", list(aliases))] if aliases else []
        if not found:
            return
        with self.transaction() as db:
            for alias in found:
                kept = aliases[alias]
                db.execute("UPDATE reviews SET card_id = ? WHERE card_id = ?", (kept, alias))
                if db.execute("SELECT 1 FROM cards WHERE card_id = ?", (kept,)).fetchone():
                    db.execute("DELETE FROM cards WHERE card_id = ?", (alias,))  # the kept card's schedule wins
                else:
                    db.execute("UPDATE cards SET card_id = ? WHERE card_id = ?", (kept, alias))

    def reviews(self, since_iso: str = "") -> list[sqlite3.Row]:
        self.db.row_factory = sqlite3.Row
        try:
            return self.db.execute("SELECT * FROM reviews WHERE reviewed_at >= ? ORDER BY reviewed_at",
                                   (since_iso,)).fetchall()
        finally:
            self.db.row_factory = None

    def card_counts(self) -> list[tuple[str, str, int, int]]:
        """(kind, topic, state, cards) for every combination present."""
        return self.db.execute("SELECT kind, topic, state, COUNT(*) FROM cards GROUP BY kind, topic, state").fetchall()

    def card_states(self) -> dict[str, tuple[str, int]]:
        """Card id → (due ISO, fsrs state)."""
        return {card_id: (due, state) for card_id, due, state in self.db.execute("SELECT card_id, due, state FROM cards")}

    def topic_answers(self) -> dict[str, tuple[int, int]]:
        """Per topic: question answers and how many were right (``counting`` defines both)."""
        return {topic: (n, right) for topic, n, right in self.db.execute(
            f"SELECT topic, COUNT(*), SUM({CORRECT_SQL}) FROM reviews WHERE {ANSWERED_SQL} GROUP BY topic")}

    def history(self, today_iso: str):
        """Counts for ``quiz stats``, done in SQL so that 100,000 reviews cost milliseconds.

        ``today_iso``: when the current day started (for today's attempts)."""
        from .stats import History

        day = "date(substr({0}, 1, 19) || 'Z', 'localtime')"
        query = self.db.execute
        return History(
            cards=self.card_counts(),
            states=self.card_states(),
            due_days=dict(query(f"SELECT {day.format('due')} AS d, COUNT(*) FROM cards GROUP BY d")),
            review_days=dict(query(f"SELECT {day.format('reviewed_at')} AS d, COUNT(*) FROM reviews GROUP BY d")),
            topic_answers=self.topic_answers(),
            graded=tuple(v or 0 for v in query(
                f"SELECT COUNT(*), SUM({CORRECT_SQL}) FROM reviews WHERE {ANSWERED_SQL}").fetchone()),
            attempts=self.attempt_counts(),
            attempts_today=self.attempt_counts(today_iso),
        )

    def count_new_cards_since(self, since_iso: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM cards WHERE first_review >= ?", (since_iso,)).fetchone()[0]

    def review_logs(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT review_log FROM reviews ORDER BY reviewed_at")]

    # --- exercises ---

    def record_attempt(self, slug: str, when: str, passed: bool, tests_passed: int, tests_total: int,
                       duration: float, *, review_id: int | None = None, variant: str | None = None,
                       mistakes: list[str] | tuple = ()) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO attempts (slug, graded_at, passed, tests_passed, tests_total, duration, review_id, "
                       "variant, mistakes) VALUES (?,?,?,?,?,?,?,?,?)",
                       (slug, when, int(passed), tests_passed, tests_total, duration, review_id, variant,
                        json.dumps(list(mistakes))))

    def attempts(self, slug: str | None = None) -> list[tuple]:
        query = "SELECT slug, graded_at, passed, tests_passed, tests_total, duration FROM attempts"
        args: tuple = ()
        if slug:
            query, args = query + " WHERE slug = ?", (slug,)
        return self.db.execute(query + " ORDER BY id", args).fetchall()

    def attempt_counts(self, since_iso: str = "") -> tuple[int, int]:
        """(attempts, passing attempts) graded since ``since_iso``."""
        row = self.db.execute("SELECT COUNT(*), SUM(passed) FROM attempts WHERE graded_at >= ?", (since_iso,)).fetchone()
        return row[0], row[1] or 0

    def failed_attempts(self, review_id: int) -> int:
        return self.db.execute("SELECT COUNT(*) FROM attempts WHERE review_id = ? AND passed = 0",
                               (review_id,)).fetchone()[0]

    def passed_variants(self, slug: str) -> dict[str | None, str]:
        """Variant id (None: the core task) → when it last passed."""
        return {variant: when for variant, when in self.db.execute(
            "SELECT variant, MAX(graded_at) FROM attempts WHERE slug = ? AND passed = 1 GROUP BY variant", (slug,))}

    # --- exercise reviews: one per fresh attempt of a due (or new) exercise card ---

    def start_exercise_review(self, slug: str, when: str, variant: str | None, hints: int) -> ExerciseReview:
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO exercise_reviews (slug, started_at, variant, hints_at_start) "
                                "VALUES (?,?,?,?)", (slug, when, variant, hints))
            return ExerciseReview(cursor.lastrowid, slug, when, variant, hints, None)

    def exercise_review(self, slug: str | None = None, *, open_only: bool = False) -> ExerciseReview | None:
        """The latest review of ``slug`` (open or closed), or with ``open_only`` its open one."""
        where = "slug = ?" + (" AND closed_at IS NULL" if open_only else "")
        row = self.db.execute(f"SELECT {REVIEW_COLUMNS} FROM exercise_reviews WHERE {where} ORDER BY id DESC LIMIT 1",
                              (slug,)).fetchone()
        return ExerciseReview(*row) if row else None

    def open_exercise_reviews(self) -> list[ExerciseReview]:
        return [ExerciseReview(*row) for row in self.db.execute(
            f"SELECT {REVIEW_COLUMNS} FROM exercise_reviews WHERE closed_at IS NULL ORDER BY id")]

    def close_exercise_review(self, db: sqlite3.Connection, review_id: int, when: str, rating: int,
                              passed: bool) -> None:
        db.execute("UPDATE exercise_reviews SET closed_at = ?, rating = ?, passed = ? WHERE id = ? AND closed_at IS NULL",
                   (when, rating, int(passed), review_id))

    def started_exercises(self) -> set[str]:
        """Slugs with a card or a review started: no longer new. Exercise cards are read as a range of the key
        (';' sorts right after ':'), not by scanning every card."""
        return {slug for (slug,) in self.db.execute(
            "SELECT slug FROM exercise_reviews UNION SELECT substr(card_id, 10) FROM cards "
            "WHERE card_id >= 'exercise:' AND card_id < 'exercise;' AND kind = 'exercise'")}

    def passed_exercises(self) -> set[str]:
        return {slug for (slug,) in self.db.execute("SELECT DISTINCT slug FROM attempts WHERE passed = 1")}

    def exercises_started_since(self, since_iso: str) -> int:
        """Exercises whose first review started since ``since_iso``: new exercises introduced that day."""
        return self.db.execute("SELECT COUNT(*) FROM (SELECT slug FROM exercise_reviews GROUP BY slug "
                               "HAVING MIN(started_at) >= ?)", (since_iso,)).fetchone()[0]

    def progress(self, slug: str) -> tuple[int, int]:
        row = self.db.execute("SELECT hints_shown, solution_seen FROM exercise_progress WHERE slug = ?",
                              (slug,)).fetchone()
        return row or (0, 0)

    def bump_progress(self, slug: str, column: str) -> int:
        assert column in ("hints_shown", "solution_seen")
        with self.transaction() as db:
            db.execute("INSERT INTO exercise_progress (slug) VALUES (?) ON CONFLICT(slug) DO NOTHING", (slug,))
            db.execute(f"UPDATE exercise_progress SET {column} = {column} + 1 WHERE slug = ?", (slug,))
            return db.execute(f"SELECT {column} FROM exercise_progress WHERE slug = ?", (slug,)).fetchone()[0]

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                       (key, value))

    # --- flags, content hashes, planning history ---

    def flag(self, card_id: str, file: str, reason: str, when: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO flags (card_id, file, reason, flagged_at) VALUES (?,?,?,?) ON CONFLICT(card_id) "
                       "DO UPDATE SET file=excluded.file, reason=excluded.reason, flagged_at=excluded.flagged_at",
                       (card_id, file, reason, when))

    def flags(self) -> list[tuple[str, str, str, str]]:
        """(card id, file, reason, flagged at), oldest first."""
        return self.db.execute("SELECT card_id, file, reason, flagged_at FROM flags ORDER BY flagged_at").fetchall()

    def flagged_ids(self) -> set[str]:
        return {card_id for (card_id,) in self.db.execute("SELECT card_id FROM flags")}

    def clear_flag(self, card_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM flags WHERE card_id = ?", (card_id,)).rowcount > 0

    def content_hashes(self) -> dict[str, tuple[str, str]]:
        """Question id → (answer hash, prompt hash) as last loaded."""
        return {card_id: (answer, prompt) for card_id, answer, prompt in self.db.execute(
            "SELECT card_id, answer, prompt FROM content_hashes")}

    def save_content_hashes(self, db: sqlite3.Connection, hashes: dict[str, tuple[str, str]]) -> None:
        db.executemany("INSERT INTO content_hashes (card_id, answer, prompt) VALUES (?,?,?) ON CONFLICT(card_id) "
                       "DO UPDATE SET answer=excluded.answer, prompt=excluded.prompt",
                       [(card_id, answer, prompt) for card_id, (answer, prompt) in hashes.items()])

    def relearn(self, db: sqlite3.Connection, card_id: str, fsrs_card: str, due: str, state: int) -> None:
        db.execute("UPDATE cards SET fsrs_card = ?, due = ?, state = ? WHERE card_id = ?",
                   (fsrs_card, due, state, card_id))

    def first_reviews(self) -> dict[str, str]:
        """Card id → when it was first reviewed (cards scheduled without a review are left out)."""
        return dict(self.db.execute("SELECT card_id, first_review FROM cards WHERE first_review != ''"))

    def durations(self) -> list[tuple[str, int]]:
        """(card id, milliseconds) of every review: how long the user takes per card."""
        return self.db.execute("SELECT card_id, duration_ms FROM reviews").fetchall()
