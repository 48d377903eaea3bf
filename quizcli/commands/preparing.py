"""``quiz plan`` and ``quiz flags``: preparing for an interview date, and the cards taken out of the schedule."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from rich.markup import escape

from .. import config, environment, interview_plan, planning, readiness, render
from ..content import load_banks, load_exercises
from ..errors import ExitCode, QuizError
from ..interview_plan import Item, Plan
from ..readiness import morning, parse_day
from ..store import Store


def scope(store: Store, topics: list[str]) -> list[Item]:
    """The cards a plan (or readiness) covers, flagged ones left out, in the order ``quiz review`` introduces
    them: questions with topics interleaved, then exercises in prerequisite order."""
    flagged = store.flagged_ids()
    questions = [Item(q["id"], q["topic"], q["type"]) for bank in load_banks(topics or None) for q in bank.questions
                 if q["id"] not in flagged]
    exercises = [e for e in load_exercises() if (not topics or e.topic in topics) and e.card_id not in flagged]
    return (planning.interleave(questions, key=lambda item: item.topic)
            + [Item(e.card_id, e.topic, "exercise") for e in planning.prerequisite_order(exercises)])


def active_plan(store: Store) -> Plan | None:
    raw = store.get_meta(interview_plan.STORE_KEY)
    return Plan.from_json(raw) if raw else None


def plan_limits(store: Store, settings: dict, now: datetime) -> tuple[dict, list[str]]:
    """What ``quiz review`` follows: the settings with the active plan's new cards per day (none in its last
    days), and the plan's topics (empty: all, or no plan)."""
    current = active_plan(store)
    allowed = current.allowance(environment.local_day(now)) if current else None
    if allowed is None:
        return settings, []
    return {**settings, "new_per_day": allowed[0], "new_exercises_per_day": allowed[1]}, current.topics


def readiness_by_topic(store: Store, on: str | None) -> tuple[str, dict]:
    """(the moment, ``{topic: {"recall", "seen", "cards"}}``): FSRS's predicted recall now, or on the morning of
    the day ``on`` (YYYY-MM-DD)."""
    from ..scheduling import make_scheduler

    settings = config.load()
    scheduler = make_scheduler(settings, settings.get("fsrs_parameters"))
    moment = morning(parse_day(on, "--on")) if on else environment.now()
    groups: dict[str, list[str]] = {}
    for item in scope(store, []):
        groups.setdefault(item.topic, []).append(item.card_id)
    cards = {row.card_id: row.fsrs_card for row in store.cards()}
    return environment.iso(moment), readiness.by_topic(scheduler, groups, cards, moment)


def show_readiness(store: Store, moment: str, figures: dict) -> None:
    day = str(environment.local_day(datetime.fromisoformat(moment)))
    from rich.table import Table  # here: review imports this module and shows no table

    table = Table(title=f"Readiness on {day} (predicted recall, unseen cards count 0)", title_justify="left")
    for column in ("topic", "recall", "", "seen"):
        table.add_column(column, justify="right" if column in ("recall", "seen") else "left")
    for topic, entry in figures.items():
        table.add_row(topic, f"{entry['recall']:.0%}", _bar(round(20 * entry["recall"]), 20, 20, 20),
                      f"{entry['seen']}/{entry['cards']}")
    render.console.print(table)
    current = active_plan(store)
    if current and day != current.interview:
        render.console.print(f"[dim]on your interview day: quiz stats --on {current.interview}[/]")


def _forecast(store: Store, items: list[Item], interview: date, minutes: int, now: datetime):
    from ..scheduling import make_scheduler

    settings = config.load()
    scheduler = make_scheduler(settings, settings.get("fsrs_parameters"), fuzz=False)
    cards = {row.card_id: row.fsrs_card for row in store.cards()}
    seconds = interview_plan.seconds_per_kind(store.durations(), {item.card_id: item.kind for item in items})
    return interview_plan.forecast(items, cards, seconds, scheduler, now, interview, minutes)


def plan(interview: str | None, minutes: int, topics: list[str], as_json: bool, clear: bool) -> int:
    store = Store(read_only_ok=interview is None and not clear)
    if clear:
        had = active_plan(store) is not None
        store.set_meta(interview_plan.STORE_KEY, "")
        render.console.print("plan cleared" if had else "there was no plan")
        return ExitCode.OK
    if interview is None:
        return _progress(store, as_json)
    day = parse_day(interview, "interview date")
    now = environment.now()
    items = scope(store, topics)
    if not items:
        raise QuizError("no card in scope: every card of those topics is flagged (quiz flags)")
    result = _forecast(store, items, day, minutes, now)
    problems = result.problems()
    new_plan = Plan(str(day), minutes, sorted(topics), str(environment.local_day(now)), result.new_per_day,
                    result.exercises_per_day, result.planned)
    if as_json:
        print(json.dumps(_plan_json(new_plan, result, items), ensure_ascii=False, indent=2))
    if problems:
        if not as_json:
            render.error(f"this plan cannot work: {'; '.join(problems)}; {interview_plan.advice(result, items)}")
        return ExitCode.ERROR
    store.set_meta(interview_plan.STORE_KEY, new_plan.to_json())
    if not as_json:
        _show_made(new_plan, result)
    return ExitCode.OK


def _plan_json(made: Plan, result, items: list[Item]) -> dict:
    problems = result.problems()
    return {"interview": made.interview, "minutes_per_day": made.minutes_per_day, "topics": made.topics,
            "days": result.days, "new_per_day": result.new_per_day, "exercises_per_day": result.exercises_per_day,
            "unseen": {"questions": result.unseen_questions, "exercises": result.unseen_exercises},
            "cards": len(items), "needed_minutes": result.needed_minutes, "recall": result.recall,
            "target": result.target, "planned": result.planned, "reachable": not problems, "problems": problems,
            "advice": interview_plan.advice(result, items) if problems else None}


def _show_made(made: Plan, result) -> None:
    render.summary([("interview", made.interview), ("days", str(result.days)),
                    ("new questions/day", str(made.new_per_day)), ("new exercises/day", str(made.exercises_per_day)),
                    ("busiest day", f"{result.needed_minutes} min of {made.minutes_per_day}")])
    lowest = min(result.recall.values(), default=0)
    render.console.print(f"with every answer right, predicted recall on the day is at least {lowest:.0%} per topic "
                         f"(target {result.target:.0%}); the last {interview_plan.REVIEW_ONLY_DAYS} days are review "
                         "only. `quiz review` now follows this plan; `quiz plan` shows the progress.")


def _days_of(moments, start: date) -> dict[date, int]:
    counts: dict[date, int] = {}
    for moment in moments:
        day = environment.local_day(datetime.fromisoformat(moment))
        if day >= start:
            counts[day] = counts.get(day, 0) + 1
    return counts


def _progress_rows(store: Store, current: Plan, items: list[Item]) -> list[dict]:
    ids = {item.card_id for item in items}
    made = date.fromisoformat(current.made)
    first = _days_of([when for cid, when in store.first_reviews().items() if cid in ids], made)
    reviews = _days_of([row["reviewed_at"] for row in store.reviews(environment.iso(morning(made)))
                        if row["card_id"] in ids], made)
    rows = []
    for offset, planned in enumerate(current.planned):
        day = made + timedelta(days=offset)
        rows.append({"day": str(day), "planned": planned, "done": first.get(day, 0), "reviews": reviews.get(day, 0)})
    return rows


def _status(store: Store, current: Plan, items: list[Item], now: datetime) -> dict:
    """Whether the plan can still be met from where the user is now."""
    try:
        result = _forecast(store, items, date.fromisoformat(current.interview), current.minutes_per_day, now)
    except QuizError as problem:
        return {"reachable": False, "problems": [str(problem)], "advice": None}
    problems = result.problems()
    behind = result.new_per_day > current.new_per_day or result.exercises_per_day > current.exercises_per_day
    return {"reachable": not problems, "problems": problems, "behind": behind,
            "advice": interview_plan.advice(result, items) if problems else None,
            "now_needed": {"new_per_day": result.new_per_day, "exercises_per_day": result.exercises_per_day,
                           "needed_minutes": result.needed_minutes}}


def _progress(store: Store, as_json: bool) -> int:
    current = active_plan(store)
    if current is None:
        raise QuizError("no plan yet: make one with `quiz plan --interview YYYY-MM-DD`")
    now = environment.now()
    items = scope(store, current.topics)
    rows = _progress_rows(store, current, items)
    status = _status(store, current, items, now) if environment.local_day(now) < date.fromisoformat(
        current.interview) else {"reachable": False, "problems": ["the interview date has passed"], "advice": None}
    if as_json:
        print(json.dumps({"plan": json.loads(current.to_json()), "days": rows, **status}, ensure_ascii=False,
                         indent=2))
        return ExitCode.OK
    _show_progress(current, rows, status, environment.local_day(now))
    return ExitCode.OK


def _bar(done: int, planned: int, total: int, width: int = 24) -> str:
    """Cumulative new cards done (█) against planned (░)."""
    scale = width / max(total, 1)
    filled, goal = round(done * scale), round(planned * scale)
    return "█" * filled + "░" * max(goal - filled, 0)


def _show_progress(current: Plan, rows: list[dict], status: dict, today: date) -> None:
    from rich.table import Table

    table = Table(title=f"Plan for {current.interview} ({current.minutes_per_day} min/day"
                        f"{', ' + ', '.join(current.topics) if current.topics else ''})", title_justify="left")
    for column in ("day", "new planned", "new done", "reviews", "done vs planned (cumulative)"):
        table.add_column(column, justify="left" if column in ("day", "done vs planned (cumulative)") else "right")
    total, planned, done = sum(current.planned), 0, 0
    for row in rows:
        planned, done = planned + row["planned"], done + row["done"]
        future = date.fromisoformat(row["day"]) > today
        table.add_row(row["day"] + (" ←" if row["day"] == str(today) else ""), str(row["planned"]),
                      "" if future else str(row["done"]), "" if future else str(row["reviews"]),
                      "" if future else _bar(done, planned, total))
    render.console.print(table)
    if status["reachable"]:
        needed = status["now_needed"]
        line = ("[yellow]behind: now needs {new_per_day} new questions and {exercises_per_day} exercises a day "
                "(run `quiz plan --interview` again to update the plan)[/]" if status.get("behind")
                else "[green]on track: the plan is still reachable[/]")
        render.console.print(line.format(**needed))
    else:
        advice = f"; {status['advice']}" if status.get("advice") else ""
        render.console.print(f"[red]not reachable any more: {escape('; '.join(status['problems']) + advice)}[/]")


def flags(clear: str | None, as_json: bool) -> int:
    store = Store(read_only_ok=clear is None)
    if clear is not None:
        if not store.clear_flag(clear):
            raise QuizError(f"{clear!r} is not flagged (quiz flags lists the flagged cards)")
        render.console.print(f"{escape(clear)} is back in the schedule")
        return ExitCode.OK
    rows = [{"id": card_id, "file": file, "reason": reason, "flagged_at": when}
            for card_id, file, reason, when in store.flags()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return ExitCode.OK
    if not rows:
        render.console.print("no flagged cards (type f during ask, review or mock to flag one)")
        return ExitCode.OK
    from rich.table import Table

    table = Table(title="Flagged cards (out of the schedule)", title_justify="left")
    for column in ("id", "file", "reason", "when"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["file"], row["reason"] or "–", row["flagged_at"][:16].replace("T", " "))
    render.console.print(table)
    render.console.print("[dim]back into the schedule: quiz flags --clear ID[/]")
    return ExitCode.OK
