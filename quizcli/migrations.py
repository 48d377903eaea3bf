"""Schema changes, in order. Add a new function at the end; never edit an applied one."""

from __future__ import annotations

import sqlite3
from typing import Callable

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]):
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(db, """
        CREATE TABLE cards (
            card_id TEXT PRIMARY KEY,          -- question id, or 'exercise:<slug>'
            kind TEXT NOT NULL,                -- 'question' | 'exercise'
            topic TEXT NOT NULL,
            fsrs_card TEXT NOT NULL,           -- fsrs.Card.to_json()
            due TEXT NOT NULL,                 -- ISO 8601 UTC, copied out of fsrs_card for queries
            state INTEGER NOT NULL,            -- fsrs.State
            first_review TEXT NOT NULL
        );
        CREATE INDEX cards_due ON cards(due);
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            card_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            topic TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            rating INTEGER NOT NULL,           -- fsrs.Rating 1..4
            correct INTEGER,                   -- 1/0, NULL for self-rated open answers
            duration_ms INTEGER NOT NULL,
            answer TEXT NOT NULL,
            command TEXT NOT NULL,             -- ask | review | grade
            review_log TEXT NOT NULL           -- fsrs.ReviewLog.to_json()
        );
        CREATE INDEX reviews_card ON reviews(card_id);
        CREATE INDEX reviews_time ON reviews(reviewed_at);
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL,
            graded_at TEXT NOT NULL,
            passed INTEGER NOT NULL,
            tests_passed INTEGER NOT NULL,
            tests_total INTEGER NOT NULL,
            duration REAL NOT NULL
        );
        CREATE INDEX attempts_slug ON attempts(slug);
        CREATE TABLE exercise_progress (
            slug TEXT PRIMARY KEY,
            hints_shown INTEGER NOT NULL DEFAULT 0,
            solution_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """)


@migration
def m002_exercise_reviews(db: sqlite3.Connection) -> None:
    """An exercise card is reviewed once per fresh attempt; each grade is an attempt, not a review."""
    _run(db, """
        CREATE TABLE exercise_reviews (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL,
            started_at TEXT NOT NULL,
            variant TEXT,                      -- the variant id asked, NULL for the core task
            hints_at_start INTEGER NOT NULL,   -- exercise_progress.hints_shown when it started
            closed_at TEXT,                    -- NULL while the review is open
            rating INTEGER,                    -- fsrs.Rating given when it closed
            passed INTEGER                     -- 1 if it closed on a green grade
        );
        CREATE INDEX exercise_reviews_slug ON exercise_reviews(slug);
        ALTER TABLE attempts ADD COLUMN review_id INTEGER;
        ALTER TABLE attempts ADD COLUMN variant TEXT;
        ALTER TABLE attempts ADD COLUMN mistakes TEXT NOT NULL DEFAULT '[]'
    """)
    # review_id: the open review an attempt belonged to (NULL: practice); mistakes: JSON ids it matched.
    # (No SQL comments on ALTER lines: SQLite copies them into the table's schema text.)


@migration
def m003_flags(db: sqlite3.Connection) -> None:
    """Cards flagged as wrong or unclear (``f`` during a round) are out of the schedule until cleared."""
    _run(db, """
        CREATE TABLE flags (
            card_id TEXT PRIMARY KEY,
            file TEXT NOT NULL,                -- the bank the question came from, when flagged
            reason TEXT NOT NULL,
            flagged_at TEXT NOT NULL
        )
    """)


@migration
def m004_content_hashes(db: sqlite3.Connection) -> None:
    """What each question said when last loaded: an edited answer sends its card back to relearning."""
    _run(db, """
        CREATE TABLE content_hashes (
            card_id TEXT PRIMARY KEY,
            answer TEXT NOT NULL,              -- hash of what makes a reply right
            prompt TEXT NOT NULL               -- hash of the English prompt
        )
    """)


@migration
def m005_cards_schedule_index(db: sqlite3.Connection) -> None:
    """Due times with their card ids in one index (replacing the one on due alone), and first reviews: review
    reads the schedule and today's new cards without the cards' FSRS JSON."""
    _run(db, """
        CREATE INDEX cards_schedule ON cards(due, card_id);
        DROP INDEX cards_due;
        CREATE INDEX cards_first_review ON cards(first_review)
    """)


def _run(db: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations the database has not seen; ``PRAGMA user_version`` counts them."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] < number:  # another process may have won
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
