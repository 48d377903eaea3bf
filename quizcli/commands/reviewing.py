"""``quiz review``, ``quiz stats`` and ``quiz optimize``."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from .. import config, counting, environment, exercise_reviews, planning, render, rounds, stats as progress_stats
from ..content import Exercise, bank_summaries, load_exercises, text
from ..errors import ExitCode
from ..store import Store
from . import preparing
from .questions import language, posed_questions, prepare


def _when(moment: datetime, now: datetime) -> str:
    delta = moment - now
    if delta <= timedelta(0):
        return "now"
    if delta < timedelta(hours=1):
        return f"in {int(delta.total_seconds() // 60) + 1} min"
    if delta < timedelta(days=1):
        return f"in {int(delta.total_seconds() // 3600)} h"
    return f"in {delta.days} days ({moment.astimezone().strftime('%Y-%m-%d')})"


def _next_due(due: str | None, now: datetime) -> str | None:
    return _when(datetime.fromisoformat(due), now) if due else None


def review(limit: int | None, new: int | None, topics: list[str], lang: str | None) -> int:
    settings = config.load()
    lang = language(lang, settings)
    store = Store()
    now = environment.now()
    banks = bank_summaries(topics or None)
    prepare(store, banks)
    settings, planned_topics = preparing.plan_limits(store, settings, now)
    flagged = store.flagged_ids()
    topic_of = {qid: bank.topic for bank in banks for qid, _, _ in bank.questions if qid not in flagged}
    exercises = {e.card_id: e for e in load_exercises()
                 if (not topics or e.topic in topics) and e.card_id not in flagged}
    exercise_reviews.close_stale(store, settings, {e.slug: e for e in exercises.values()}, now)
    dues = store.dues()
    exercises_due = _exercise_panels(store, settings, list(exercises.values()), dues, now, lang)
    now_iso = environment.iso(now)
    due = [planning.Due(cid, topic_of[cid], dues[cid]) for cid in counting.due_ids(dues, topic_of, now_iso)]
    allowance = (settings["new_per_day"] if new is None else new) - store.count_new_cards_since(
        environment.iso(environment.start_of_day(now)))
    fresh = [(qid, topic_of[qid]) for qid in counting.new_ids(dues, topic_of)
             if topics or not planned_topics or topic_of[qid] in planned_topics]
    queue = planning.plan_review(due, fresh, allowance, limit)
    if not queue:
        upcoming = _next_due(store.first_due(topic_of.keys() | exercises.keys()), now)
        later = f"next card due {upcoming}" if upcoming else "no cards yet"
        render.console.print(f"Nothing to review now — {later}. Try `quiz ask` for extra practice.")
        return ExitCode.OK
    new_count = sum(1 for cid in queue if cid not in dues)
    also = f" (and {exercises_due} exercise{'s' if exercises_due > 1 else ''} due, above)" if exercises_due else ""
    render.console.print(f"[bold]Review[/]: {len(queue) - new_count} due, {new_count} new{also}")
    posed = posed_questions([(cid, topic_of[cid]) for cid in queue], lang, random.Random())
    round_ = rounds.Round(store, settings, rounds.Replies(), command="review")
    ending = rounds.run(round_, posed)
    lines = round_.tally.lines(lang)
    upcoming = _next_due(store.first_due(topic_of), environment.now())
    if upcoming:
        lines.append(("next due", upcoming))
    render.summary(lines)
    return ExitCode.INTERRUPTED if ending == "interrupted" else ExitCode.OK


def _exercise_panels(store: Store, settings: dict, exercises: list[Exercise], dues: dict[str, str], now: datetime,
                     lang: str) -> int:
    """Exercises first, each with the one command that starts it: due ones, ones in progress, then new ones
    within ``new_exercises_per_day``, prerequisites (``after``) first. Returns how many are due."""
    in_progress = {review.slug for review in store.open_exercise_reviews()}
    due_cards = set(counting.due_ids(dues, [e.card_id for e in exercises], environment.iso(now)))
    due = [e for e in exercises if e.card_id in due_cards and e.slug not in in_progress]
    allowance = int(settings["new_exercises_per_day"]) - store.exercises_started_since(
        environment.iso(environment.start_of_day(now)))
    fresh = planning.new_exercises(exercises, store.started_exercises(), store.passed_exercises(), allowance)
    for label, group, command in (("due for review", due, "quiz exercise {}"),
                                  ("in progress", [e for e in exercises if e.slug in in_progress], "quiz grade {}"),
                                  ("new", fresh, "quiz exercise {}")):
        for chosen in group:
            render.console.print(Panel(
                f"{escape(text(chosen.title, lang))}\n[dim]{label}:[/] [bold]{command.format(chosen.slug)}[/]",
                title=f"exercise · {chosen.topic}", title_align="left", border_style="magenta"))
    return len(due_cards)  # in progress or not: the count `quiz stats` shows


def collect_stats(store: Store) -> dict:
    banks = bank_summaries()
    totals = {bank.topic: len(bank.questions) for bank in banks}
    content = [qid for bank in banks for qid, _, _ in bank.questions] + [e.card_id for e in load_exercises()]
    now = environment.now()
    history = store.history(environment.iso(environment.start_of_day(now)))
    return progress_stats.compute(history, totals, content, now)


SHADES = ["[grey23]·[/]", "[green4]▪[/]", "[green3]▪[/]", "[green1]■[/]", "[bold bright_green]■[/]"]
BARS = " ▁▂▃▄▅▆▇█"


def _heatmap(calendar: dict[str, int], now: datetime) -> str:
    today = environment.local_day(now)
    weeks = 26
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    peak = max(calendar.values(), default=1)
    rows = []
    for weekday, label in enumerate(["Mon", "", "Wed", "", "Fri", "", "Sun"]):
        cells = []
        for week in range(weeks):
            day = start + timedelta(days=7 * week + weekday)
            count = calendar.get(str(day), 0)
            cells.append(" " if day > today else SHADES[0 if not count else min(4, 1 + 3 * count // (peak + 1))])
        rows.append(f"{label:>3} " + "".join(cells))
    return "\n".join(rows)


def _forecast(counts: list[int]) -> str:
    peak = max(counts, default=0) or 1
    bars = "".join(BARS[min(8, round(8 * c / peak))] if c else BARS[0] for c in counts)
    return f"today {bars} +{len(counts) - 1}d   (max {max(counts, default=0)}/day)"


def stats(as_json: bool, on: str | None = None) -> None:
    store = Store(read_only_ok=True)
    figures = collect_stats(store)
    figures["readiness_on"], figures["readiness"] = preparing.readiness_by_topic(store, on)
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    cards, reviews, attempts = figures["cards"], figures["reviews"], figures["attempts"]
    accuracy = f"{reviews['accuracy']:.0%}" if reviews["accuracy"] is not None else "–"
    render.summary([("due now", str(figures["due_today"])), ("streak", f"{figures['streak']} d"),
                    ("reviews today", str(reviews["today"])), ("total", str(reviews["total"])),
                    ("answered", str(reviews["answered"])), ("accuracy", accuracy)])
    render.console.print(f"exercise attempts (grades, not reviews): {attempts['today']} today · "
                         f"{attempts['total']} in all · {attempts['passed']} green")
    render.console.print(f"cards: {cards['new']} new · {cards['learning']} learning · {cards['review']} review")
    from rich.table import Table  # here: review shares this module and needs no table

    table = Table(title="Mastery by topic", title_justify="left")
    for column in ("topic", "seen", "answered", "accuracy"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for topic, entry in figures["by_topic"].items():
        table.add_row(topic, f"{entry['seen']}/{entry['questions']}", str(entry["answered"]),
                      f"{entry['accuracy']:.0%}" if entry["accuracy"] is not None else "–")
    render.console.print(table)
    preparing.show_readiness(store, figures["readiness_on"], figures["readiness"])
    render.console.print(Panel(_heatmap(figures["calendar"], environment.now()), title="reviews, last 26 weeks",
                               title_align="left", expand=False))
    render.console.print(Panel(Text(_forecast(figures["forecast"])), title="due forecast, 30 days",
                               title_align="left", expand=False))


def optimize() -> int:
    """Fit FSRS parameters to the review history with the package's optimizer, when it is installed."""
    from fsrs import ReviewLog

    logs = [ReviewLog.from_json(raw) for raw in Store().review_logs()]
    minimum = 512
    if len(logs) < minimum:
        render.console.print(f"[yellow]{len(logs)} reviews so far: FSRS needs about {minimum} before fitted "
                             "parameters beat the defaults; keeping the defaults[/]")
        return ExitCode.OK
    try:
        from fsrs import Optimizer

        parameters = Optimizer(logs).compute_optimal_parameters()
    except ImportError:
        render.error("the optimizer needs extra packages: pip install 'fsrs[optimizer]'")
        return ExitCode.ERROR
    config.save_parameters(list(parameters))
    render.console.print(f"saved {len(parameters)} fitted FSRS parameters to {config.parameters_path()}")
    return ExitCode.OK
