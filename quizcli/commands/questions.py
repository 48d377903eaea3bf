"""``quiz topics`` and ``quiz ask``."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from .. import config, plain
from ..content import BankSummary, bank_summaries, load_banks, questions_by_id, text
from ..errors import ExitCode, QuizError, unknown
from ..questions import pose
from ..questions import TYPES
from ..store import Store

if TYPE_CHECKING:
    import random


def language(lang: str | None, settings: dict) -> str:
    chosen = lang or settings.get("language", "en")
    if chosen not in ("en", "zh"):
        raise unknown("language", chosen, ["en", "zh"])
    return chosen


def topic_rows(store: Store) -> list[dict]:
    seen: Counter = Counter()
    for kind, topic, _, count in store.card_counts():
        if kind == "question":
            seen[topic] += count
    answers = store.topic_answers()
    rows = []
    for bank in bank_summaries():
        by_type = Counter(kind for _, kind, _ in bank.questions)
        answered, right = answers.get(bank.topic, (0, 0))
        rows.append({"topic": bank.topic, "title": bank.title, "questions": len(bank.questions),
                     "by_type": {t: by_type.get(t, 0) for t in TYPES}, "seen": seen[bank.topic],
                     "accuracy": round(right / answered, 3) if answered else None,
                     "languages": list(bank.languages)})
    return rows


def topics(as_json: bool) -> None:
    settings = config.load()
    rows = topic_rows(Store(read_only_ok=True))
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    lang = language(None, settings)
    wide = plain.width() >= 110
    headers = ["topic", *(["title"] if wide else []), "n", "mcq", "multi", "num", "cloze", "order", "open", "seen", "acc"]
    lines = []
    for row in rows:
        accuracy = f"{row['accuracy']:.0%}" if row["accuracy"] is not None else "–"
        only = "" if len(row["languages"]) > 1 else f" ({', '.join(row['languages'])} only)"
        lines.append([row["topic"] + only, *([text(row["title"], lang)] if wide else []), str(row["questions"]),
                      *(str(row["by_type"][t]) for t in TYPES), f"{row['seen']}/{row['questions']}", accuracy])
    plain.columns("Topics", headers, lines, left=2 if wide else 1)


def prepare(store: Store, banks: list[BankSummary]) -> None:
    """Before a round: merged questions' history follows them, and cards whose answer was edited go back to
    relearning (said once). The banks are read in full only when their files changed since the last round."""
    from .. import edits, environment, render

    store.adopt_aliases({old: kept for bank in banks for old, kept in bank.aliases.items()})
    files = edits.fingerprint([bank.path for bank in banks])
    if edits.in_sync(store, files):
        return
    questions = questions_by_id(load_banks([bank.topic for bank in banks]))
    message = edits.notice(edits.sync(store, questions, environment.now(), files))
    if message:
        render.console.print(f"[yellow]{message}[/]", soft_wrap=True)


def posed_questions(chosen: list[tuple[str, str]], lang: str, rng: random.Random) -> list:
    """Pose the chosen (question id, topic) pairs, reading only the banks they come from."""
    questions = questions_by_id(load_banks(sorted({topic for _, topic in chosen})))
    return [pose(questions[qid], lang, rng) for qid, _ in chosen]


def ask(topic_names: list[str], count: int, kind: str | None, difficulty: int | None, lang: str | None,
        seed: int | None) -> int:
    import random

    from .. import render, rounds

    settings = config.load()
    lang = language(lang, settings)
    if kind is not None and kind not in TYPES:
        raise unknown("type", kind, list(TYPES))
    banks = bank_summaries(topic_names)
    store = Store()
    flagged = store.flagged_ids()
    pool = [(qid, bank.topic) for bank in banks for qid, type_, level in bank.questions
            if qid not in flagged and (kind is None or type_ == kind) and (difficulty is None or level == difficulty)]
    if not pool:
        raise QuizError("no question matches those filters")
    rng = random.Random(seed)
    posed = posed_questions(rng.sample(pool, min(count, len(pool))), lang, rng)
    prepare(store, banks)
    round_ = rounds.Round(store, settings, rounds.Replies(), command="ask")
    ending = rounds.run(round_, posed)
    render.summary(round_.tally.lines(lang))
    return ExitCode.INTERRUPTED if ending == "interrupted" else ExitCode.OK
