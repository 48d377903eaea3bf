"""The learning loop as ``quiz exercise`` and ``quiz grade`` show it: fresh attempts of due exercises, one
rating per review, the variant asked, and the questions a named mistake brings back.

The decisions live in ``exercise_reviews`` and ``misconceptions``; this module records and reports them.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .. import config, environment, exercise_reviews, misconceptions, render
from ..content import Exercise, load_banks, questions_by_id, text
from ..exercises import archived_attempts, scaffold, start_fresh, workspace_file
from ..grading import GradeResult
from ..store import Store

RATING_WORDS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def start(store: Store, chosen: Exercise, force: bool, now: datetime) -> tuple[Path, list[str]]:
    """Scaffold the workspace: a fresh attempt when the card is due or new, else the user's work is kept."""
    exercise_reviews.close_stale(store, config.load(), {chosen.slug: chosen}, now)
    if exercise_reviews.begin(store, chosen, now):
        path, archived = start_fresh(chosen, now)
        lines = ["[magenta]a review of this exercise starts now: a fresh attempt, graded once when it turns green[/]"]
        if archived:
            lines.append(f"[yellow]your previous file was moved to {archived}  (quiz exercise {chosen.slug} "
                         "--history)[/]")
        return path, lines + [f"wrote the starter to [bold]{path}[/]"]
    path, written, backup = scaffold(chosen, force, now)
    lines = [f"[yellow]your previous file was saved as {backup}[/]"] if backup else []
    state = "wrote the starter to" if written else "your work is kept at (use --force to start over)"
    return path, lines + [f"{state} [bold]{path}[/]"]


def show_variant(store: Store, chosen: Exercise, lang: str) -> None:
    variant = exercise_reviews.current_variant(store, chosen)
    if variant:
        render.console.print(Panel(escape(text(variant.get("prompt"), lang)), title=f"variant · {variant['id']}",
                                   title_align="left", border_style="magenta"))


def variant_params(store: Store, chosen: Exercise) -> dict:
    variant = exercise_reviews.current_variant(store, chosen)
    return dict(variant.get("params") or {}) if variant else {}


def record(store: Store, chosen: Exercise, result: GradeResult, path: Path, lang: str) -> list[str]:
    """Store the grade as an attempt, close the review on its first green grade, bring back the questions on
    the mistakes it named; returns what to tell the user. Adds ``misconceptions`` to the result's JSON."""
    settings, now = config.load(), environment.now()
    exercise_reviews.close_stale(store, settings, {chosen.slug: chosen}, now)
    variant = exercise_reviews.current_variant(store, chosen)
    review, rating = exercise_reviews.after_grade(store, settings, chosen, result.passed,
                                                  path.resolve() == workspace_file(chosen.slug).resolve(), now)
    store.record_attempt(chosen.slug, environment.iso(now), result.passed, result.counts["passed"], len(result.tests),
                         result.duration, review_id=review.id if review else None,
                         variant=variant["id"] if variant else None, mistakes=result.mistakes)
    lines = [_review_line(store, chosen, review, rating, now)]
    questions = questions_by_id(load_banks()) if result.mistakes else {}
    result.misconceptions = misconceptions.linked(chosen, result.mistakes, questions, lang)
    cards = list(dict.fromkeys(card for entry in result.misconceptions for card in entry["cards"]))
    if cards:
        misconceptions.make_due_now(store, cards, questions, now)
        noun = "question" if len(cards) == 1 else "questions"
        lines.append(f"[cyan]{len(cards)} {noun} on this {'is' if len(cards) == 1 else 'are'} now due: quiz review[/]")
    return [line for line in lines if line]


def _review_line(store: Store, chosen: Exercise, review, rating: int | None, now: datetime) -> str:
    if rating is not None:
        return f"[magenta]review recorded: {RATING_WORDS[rating]} (one rating per review; later grades are practice)[/]"
    if review is not None:
        return "[dim]attempt recorded; the review closes on your first green grade of the workspace file[/]"
    if exercise_reviews.is_due(store, chosen, now):
        return (f"[yellow]practice only: this card is due, run `quiz exercise {chosen.slug}` for a fresh attempt "
                "that counts as its review[/]")
    return "[dim]practice attempt recorded (not a review)[/]"


def history(store: Store, chosen: Exercise, as_json: bool) -> None:
    """``quiz exercise SLUG --history``: every graded attempt and every archived file."""
    attempts = [{"graded_at": row[1], "passed": bool(row[2]), "tests_passed": row[3], "tests_total": row[4],
                 "duration": round(row[5], 2)} for row in store.attempts(chosen.slug)]
    files = [str(path) for path in archived_attempts(chosen.slug)]
    if as_json:
        print(json.dumps({"exercise": chosen.slug, "attempts": attempts, "archived": files}, indent=2))
        return
    table = Table(title=f"Attempts of {chosen.slug}", title_justify="left")
    for column in ("graded", "result", "tests", "time"):
        table.add_column(column)
    for attempt in attempts:
        table.add_row(attempt["graded_at"][:19].replace("T", " "), "passed" if attempt["passed"] else "failed",
                      f"{attempt['tests_passed']}/{attempt['tests_total']}", f"{attempt['duration']:.1f} s")
    render.console.print(table if attempts else "no graded attempts yet")
    for path in files:
        render.console.print(f"archived: {path}", soft_wrap=True)
