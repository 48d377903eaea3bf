"""``quiz mock``: a timed mixed session like an interview, graded and recorded, explained only at the end."""

from __future__ import annotations

import json
import random
import time

from rich.markup import escape
from rich.table import Table

from .. import config, flags, mock, render, rounds
from ..content import bank_summaries, load_banks, load_exercises, text
from ..errors import ExitCode, QuizError
from ..questions import pose
from ..store import Store
from .questions import language, prepare


def mock_interview(minutes: int, topics: list[str], seed: int | None, lang: str | None, as_json: bool) -> int:
    settings = config.load()
    lang = language(lang, settings)
    store = Store()
    banks = load_banks(topics or None)
    prepare(store, bank_summaries(topics or None))
    rng = random.Random(seed)
    questions = mock.draw_questions(flags.unflagged(store, [q for bank in banks for q in bank.questions]),
                                    mock.question_count(minutes), rng)
    exercise = _pick_exercise(store, topics, rng)
    if not questions and exercise is None:
        raise QuizError("nothing to ask: no auto-graded question or gradable exercise in those topics")
    render.console.print(f"[bold]Mock interview[/]: {len(questions)} questions"
                         f"{' + the exercise ' + exercise.slug if exercise else ''}, {minutes} min. No hints; answers "
                         "and explanations come at the end. q or Ctrl-C ends it with the report.")
    round_ = rounds.Round(store, settings, rounds.Replies(), command="mock", coached=False)
    deadline = time.monotonic() + 60 * minutes
    ending = rounds.run(round_, [pose(q, lang, rng) for q in questions], lambda: _countdown(deadline))
    graded = None
    if exercise is not None and ending == "done" and _countdown(deadline):
        graded, ending = _exercise_step(round_.replies, exercise, lang)
    results = [mock.Result(a.posed.id, a.posed.question["topic"], a.posed.type, a.correct, a.seconds)
               for a in round_.answers]
    figures = mock.report(results, graded, ending, time.monotonic() - deadline + 60 * minutes)
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        _show_report(figures, round_.answers)
    return ExitCode.INTERRUPTED if ending == "interrupted" else ExitCode.OK


def _pick_exercise(store: Store, topics: list[str], rng: random.Random):
    from ..exercises import missing_requirements

    flagged = store.flagged_ids()
    exercises = [e for e in load_exercises() if (not topics or e.topic in topics) and e.card_id not in flagged]
    return mock.draw_exercise(exercises, lambda e: not missing_requirements(e.requires), rng)


def _countdown(deadline: float) -> bool:
    """Show the time left; False once it is up."""
    left = deadline - time.monotonic()
    if left <= 0:
        render.console.print("[bold red]time is up[/]")
        return False
    minutes, seconds = divmod(int(left), 60)
    render.console.print(f"[bold cyan]⏱ {minutes}:{seconds:02d} left[/]")
    return True


def _exercise_step(replies: rounds.Replies, exercise, lang: str) -> tuple[dict, str]:
    """Scaffold the exercise (a fresh attempt, like ``quiz exercise``); grade it when the user says ``done``."""
    from . import exercises

    exercises.exercise(exercise.slug, False, False, lang)
    render.console.print("[bold]write your solution, save it, then type done to grade it (skip to leave it)[/]")
    entry = {"slug": exercise.slug, "title": text(exercise.title, lang), "passed": None}
    try:
        while True:
            reply = replies.read().strip().lower()
            if reply in rounds.QUIT or reply == "skip":
                return entry, "done"
            if reply == "done":
                entry["passed"] = exercises.grade(exercise.slug, None, False, None, False) == ExitCode.OK
                return entry, "done"
            render.console.print("[yellow]done or skip[/]")
    except rounds.EndOfInput:
        return entry, "eof"
    except KeyboardInterrupt:
        render.console.print()
        return entry, "interrupted"


def _show_report(figures: dict, answers: list[rounds.Answer]) -> None:
    render.console.rule("answers")
    for answer in answers:
        render.console.print(f"[bold]{escape(answer.posed.id)}[/] [dim]({answer.seconds:.0f} s)[/]")
        if answer.verdict is not None:
            render.verdict(answer.posed, answer.verdict)
    score = f"{figures['score']:.0%}" if figures["score"] is not None else "–"
    render.summary([("answered", str(figures["answered"])), ("correct", str(figures["correct"])), ("score", score),
                    ("time", f"{int(figures['seconds']) // 60}:{int(figures['seconds']) % 60:02d}")])
    for title, key in (("by topic", "by_topic"), ("by type", "by_type")):
        table = Table(title=f"Score {title}", title_justify="left")
        for column in (title.split()[1], "answered", "correct", "score"):
            table.add_column(column, justify="left" if column in ("topic", "type") else "right")
        for name, entry in figures[key].items():
            table.add_row(name, str(entry["answered"]), str(entry["correct"]), f"{entry['score']:.0%}")
        render.console.print(table)
    if figures["exercise"]:
        passed = figures["exercise"]["passed"]
        state = "passed" if passed else "not graded" if passed is None else "failed"
        render.console.print(f"exercise {figures['exercise']['slug']}: {state}")
    for weak in figures["weakest"]:
        render.console.print(f"weak: {weak['topic']} ({weak['score']:.0%}) → [bold]{weak['command']}[/]")
