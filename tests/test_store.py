import multiprocessing
import sqlite3
from datetime import datetime, timezone

import pytest
from fsrs import Rating

from quizcli.errors import QuizError
from quizcli.migrations import MIGRATIONS
from quizcli.progress import record_review
from quizcli.store import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def answer(store, card_id, rating=Rating.Good, correct=True, text="b"):
    return record_review(store, {"desired_retention": 0.9}, card_id=card_id, kind="question", topic="transformer",
                         rating=rating, correct=correct, answer=text, duration_ms=1200, command="ask", now=NOW)


def test_migrations_set_the_schema_version(tmp_path):
    store = Store(tmp_path / "q.db")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Store(tmp_path / "q.db")  # re-opening applies nothing twice


def test_a_review_writes_card_and_log_together(tmp_path):
    store = Store(tmp_path / "q.db")
    row = answer(store, "transformer.x", text="b")
    reviews = store.reviews()
    assert [(r["card_id"], r["rating"], r["correct"], r["answer"], r["command"]) for r in reviews] == [
        ("transformer.x", int(Rating.Good), 1, "b", "ask")]
    assert store.card("transformer.x").fsrs_card == row.fsrs_card


def test_a_failed_write_leaves_no_half_review(tmp_path, monkeypatch):
    store = Store(tmp_path / "q.db")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "save_review", broken)
    with pytest.raises(RuntimeError):
        answer(store, "transformer.x")
    assert store.cards() == [] and store.reviews() == []


def test_newer_schema_is_refused_with_a_message(tmp_path):
    path = tmp_path / "q.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    with pytest.raises(QuizError, match="newer quiz"):
        Store(path)


def test_corrupt_database_is_refused_with_a_message(tmp_path):
    path = tmp_path / "q.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(QuizError, match="not a readable quiz database"):
        Store(path)


def _writer(path, name, count):
    store = Store(path)
    for i in range(count):
        answer(store, f"transformer.{name}-{i % 5}", text=f"{name}{i}")


def test_two_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "q.db"
    Store(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, name, 40)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = Store(path)
    answers = sorted(r["answer"] for r in store.reviews())
    assert answers == sorted([f"a{i}" for i in range(40)] + [f"b{i}" for i in range(40)])
    assert len(store.cards()) == 10
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
