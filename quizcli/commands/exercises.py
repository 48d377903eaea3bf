"""``quiz exercise``, ``grade``, ``hint``, ``solution`` and ``selftest``."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from .. import config, environment, exercise_reviews, render
from ..content import Exercise, load_exercise, load_exercises, text
from ..errors import ExitCode, QuizError
from ..exercises import missing_requirements, status, workspace_file
from ..grading import GradeResult
from ..mistakes import PatchError
from ..runner import run_mistake, run_suite, warm_start
from ..store import Store
from . import learning
from .grade_view import LiveGrade, show_result
from .questions import language

CURRENT = "current_exercise"


def _current(store: Store, slug: str | None) -> Exercise:
    slug = slug or store.get_meta(CURRENT)
    if not slug:
        raise QuizError("no current exercise: start one with `quiz exercise SLUG` (see `quiz exercise`)")
    return load_exercise(slug)


def catalogue_rows(store: Store) -> list[dict]:
    rows = []
    for exercise in load_exercises():
        state, best = status(store.attempts(exercise.slug))
        missing = missing_requirements(exercise.requires)
        rows.append({"slug": exercise.slug, "title": exercise.title, "topic": exercise.topic,
                     "difficulty": exercise.difficulty, "requires": exercise.requires, "status": state,
                     "best_time": round(best, 2) if best is not None else None, "can_grade": not missing,
                     "missing": missing})
    return rows


def exercise(slug: str | None, as_json: bool, force: bool, lang: str | None, history: bool = False) -> None:
    store = Store()
    lang = language(lang, config.load())
    if slug is None and history:
        raise QuizError("--history needs an exercise: quiz exercise SLUG --history")
    if slug is None:
        rows = catalogue_rows(store)
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = Table(title="Exercises", title_justify="left")
        for column in ("slug", "title", "topic", "level", "requires", "status", "best"):
            table.add_column(column)
        for row in rows:
            requires = ", ".join(row["requires"]) + ("" if row["can_grade"] else " [red](missing here)[/]")
            table.add_row(row["slug"], text(row["title"], lang), row["topic"], render.stars(row["difficulty"]),
                          requires, row["status"], f"{row['best_time']:.1f} s" if row["best_time"] else "")
        render.console.print(table)
        render.console.print("[dim]start one: quiz exercise SLUG · grade it: quiz grade[/]")
        return
    chosen = load_exercise(slug)
    if history:
        learning.history(store, chosen, as_json)
        return
    path, lines = learning.start(store, chosen, force, environment.now())
    store.set_meta(CURRENT, chosen.slug)
    render.console.print(Panel(Markdown(chosen.prompt(lang)), title=text(chosen.title, lang), border_style="blue"))
    learning.show_variant(store, chosen, lang)
    for line in lines:
        render.console.print(line, soft_wrap=True)
    missing = missing_requirements(chosen.requires)
    if missing:
        render.console.print(f"[yellow]this machine lacks {', '.join(missing)} to grade it: see `quiz doctor`[/]")
    render.console.print(f"[dim]edit it, then: quiz grade   (hints: quiz hint {chosen.slug})[/]")


def _grade_once(store: Store, chosen: Exercise, path: Path, as_json: bool, timeout: float | None,
                verbose: bool = False) -> GradeResult:
    lang = language(None, config.load())
    variant = learning.variant_params(store, chosen)
    if as_json:
        result = run_suite(chosen, path, timeout, variant)
        learning.record(store, chosen, result, path, lang)
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return result
    render.console.print(f"[bold]{chosen.slug}[/] — grading {escape(str(path))}")
    with LiveGrade(timeout or chosen.timeout) as live:
        result = run_suite(chosen, path, timeout, variant, on_record=live.on_record)
    lines = learning.record(store, chosen, result, path, lang)
    show_result(result, verbose, streamed=live.streamed)
    for line in lines:
        render.console.print(line)
    return result


def _exit_code(result: GradeResult) -> int:
    if result.passed:
        return ExitCode.OK
    return ExitCode.TIMEOUT if result.verdict == "timeout" else ExitCode.TESTS_FAILED


def grade(slug: str | None, file: Path | None, as_json: bool, timeout: float | None, watch: bool,
          verbose: bool = False) -> int:
    store = Store()
    chosen = _current(store, slug)
    path = file or workspace_file(chosen.slug)
    if file is not None and not file.is_file():
        raise QuizError(f"{file} is a folder: pass the solution file itself" if file.is_dir() else f"{file}: no such file")
    if not path.is_file():
        raise QuizError(f"{path} does not exist: run `quiz exercise {chosen.slug}` first, or pass --file")
    missing = missing_requirements(chosen.requires)
    if missing:
        raise QuizError(f"this machine lacks {', '.join(missing)} to grade {chosen.slug}: see `quiz doctor`")
    if not watch:
        return _exit_code(_grade_once(store, chosen, path, as_json, timeout, verbose))
    with warm_start():  # every save forks a grade from a process that has torch imported already
        result = _grade_once(store, chosen, path, as_json, timeout, verbose)
        render.console.print(f"[dim]watching {path}: save to grade again, Ctrl-C to stop[/]")
        seen = path.stat().st_mtime_ns
        try:
            while True:
                time.sleep(0.2)
                mtime = path.stat().st_mtime_ns if path.exists() else seen
                if mtime != seen:
                    seen = mtime
                    render.console.rule()
                    result = _grade_once(store, chosen, path, as_json, timeout, verbose)
        except KeyboardInterrupt:
            render.console.print()
    return _exit_code(result)


def hint(slug: str | None, lang: str | None) -> None:
    store = Store()
    chosen = _current(store, slug)
    lang = language(lang, config.load())
    hints = chosen.hints
    if not hints:
        raise QuizError(f"{chosen.slug} has no hints")
    shown, _ = store.progress(chosen.slug)
    index = min(shown, len(hints) - 1)
    if shown < len(hints):
        store.bump_progress(chosen.slug, "hints_shown")
    render.console.print(Panel(text(hints[index], lang), title=f"hint {index + 1}/{len(hints)}", border_style="yellow"))
    if index == len(hints) - 1:
        render.console.print("[dim]that was the last hint; `quiz solution` shows the reference[/]")


def solution(slug: str | None, yes: bool) -> None:
    store = Store()
    chosen = _current(store, slug)
    if not yes:
        if not render.interactive():
            raise QuizError("showing the solution needs a confirmation: pass --yes")
        if not typer.confirm(f"Show the reference solution of {chosen.slug}? (recorded)"):
            return
    store.bump_progress(chosen.slug, "solution_seen")
    if exercise_reviews.give_up(store, config.load(), chosen, environment.now()):
        render.console.print("[magenta]review recorded: Again (solution shown); the card comes back soon[/]")
    render.console.print(Syntax(chosen.solution.read_text(encoding="utf-8"), "python", line_numbers=True))


def prove(chosen: Exercise) -> list[dict]:
    """Run the reference (must pass, on the core task and on every variant), the starter and the mutant of
    every classic mistake (must fail)."""
    cases = [("reference", lambda: run_suite(chosen, chosen.solution), True),
             *[(f"reference, variant {v['id']}", lambda v=v: run_suite(chosen, chosen.solution, variant=v["params"]),
                True) for v in chosen.variants],
             ("starter", lambda: run_suite(chosen, chosen.starter), False),
             *[(f"mistake {m.id}", lambda m=m: run_mistake(chosen, m), False) for m in chosen.mistakes]]
    rows = []
    for label, grade, should_pass in cases:
        row = {"exercise": chosen.slug, "case": label, "expected": "pass" if should_pass else "fail"}
        try:
            result = grade()
        except PatchError as exc:
            rows.append({**row, "passed": False, "ok": False, "verdict": str(exc), "duration": 0.0})
            continue
        rows.append({**row, "passed": result.passed, "ok": result.passed == should_pass, "verdict": result.message,
                     "duration": round(result.duration, 2)})
    return rows


def selftest(slugs: list[str], as_json: bool) -> int:
    chosen = [load_exercise(s) for s in slugs] if slugs else load_exercises()
    gradable = [e for e in chosen if not missing_requirements(e.requires)]
    rows, total = [], len(gradable)
    with render.working(f"proving {total} suites (reference, starter, every mistake) …") as status, \
            warm_start(), ThreadPoolExecutor(max_workers=2) as pool:
        for done, proved in enumerate(pool.map(prove, gradable), start=1):
            rows += proved
            status.update(f"[dim]proved {done} of {total} suites …[/]")
    skipped = [e.slug for e in chosen if e not in gradable]
    if as_json:
        print(json.dumps({"results": rows, "skipped": skipped}, indent=2))
    else:
        table = Table(title="Self-test", title_justify="left")
        for column in ("exercise", "case", "expected", "got", "ok", "time"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["exercise"], row["case"], row["expected"], "pass" if row["passed"] else "fail",
                          "[green]✓[/]" if row["ok"] else "[red]✗[/]", f"{row['duration']:.1f} s")
        render.console.print(table)
        for row in rows:
            if not row["ok"]:
                render.console.print(f"[red]✗ {row['exercise']} {escape(row['case'])}:[/] {escape(row['verdict'])}")
        if skipped:
            render.console.print(f"[yellow]skipped (this machine cannot grade them): {', '.join(skipped)}[/]")
    return ExitCode.OK if all(row["ok"] for row in rows) else ExitCode.TESTS_FAILED
