"""The command line: parse arguments, call one function per command. Heavy imports stay inside commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import ExitCode, QuizError

app = typer.Typer(
    help="quiz — a command-line coach for machine-learning interviews: questions, exercises, spaced repetition.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
)

LangOption = typer.Option(None, "--lang", help="Language: en or zh (default: the 'language' setting).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of tables.")


@app.command()
def topics(as_json: bool = JsonOption) -> None:
    """List topics with question counts per type and your mastery."""
    from .commands import questions
    questions.topics(as_json)


@app.command()
def ask(
    topic: Optional[List[str]] = typer.Option(None, "--topic", "-t", help="Topic (repeatable); default: all."),
    n: int = typer.Option(10, "-n", "--count", min=1, help="Number of questions."),
    type_: Optional[str] = typer.Option(None, "--type", help="Only this type: mcq, multi, numeric, cloze, order, open."),
    difficulty: Optional[int] = typer.Option(None, "--difficulty", "-d", min=1, max=3, help="Only this difficulty (1-3)."),
    lang: Optional[str] = LangOption,
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed: the same seed asks the same round."),
) -> None:
    """Ask a round of questions; each answer is graded, explained and recorded."""
    from .commands import questions
    raise typer.Exit(questions.ask(topic or [], n, type_, difficulty, lang, seed))


@app.command()
def review(
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many cards."),
    new: Optional[int] = typer.Option(None, "--new", min=0, help="New cards allowed today (default: setting new_per_day)."),
    topic: Optional[List[str]] = typer.Option(None, "--topic", "-t", help="Only these topics (repeatable)."),
    lang: Optional[str] = LangOption,
) -> None:
    """Today's review: due questions and exercises (FSRS), then new cards up to the daily limit."""
    from .commands import reviewing
    raise typer.Exit(reviewing.review(limit, new, topic or [], lang))


@app.command()
def stats(as_json: bool = JsonOption) -> None:
    """Progress: cards, reviews, streak, mastery per topic, heatmap and due forecast."""
    from .commands import reviewing
    reviewing.stats(as_json)


@app.command()
def config(key: Optional[str] = typer.Argument(None, help="Setting name."),
           value: Optional[str] = typer.Argument(None, help="New value.")) -> None:
    """Show or change settings (desired_retention, new_per_day, language, fast_<type> seconds)."""
    from .commands import system
    system.config(key, value)


@app.command()
def optimize() -> None:
    """Fit FSRS parameters to your review history (needs the fsrs optimizer extra)."""
    from .commands import reviewing
    raise typer.Exit(reviewing.optimize())


@app.command()
def exercise(
    slug: Optional[str] = typer.Argument(None, help="Exercise to start; omit for the catalogue."),
    as_json: bool = JsonOption,
    force: bool = typer.Option(False, "--force", help="Overwrite your workspace file (a backup is kept)."),
    lang: Optional[str] = LangOption,
) -> None:
    """Without SLUG: the catalogue. With SLUG: write the starter to the workspace and show the task.

    When the exercise is due for review (or new), this starts a fresh attempt: your previous file is archived."""
    from .commands import exercises
    exercises.exercise(slug, as_json, force, lang, history)


@app.command()
def grade(
    slug: Optional[str] = typer.Argument(None, help="Exercise (default: the one you started last)."),
    file: Optional[Path] = typer.Option(None, "--file", help="Grade this file instead of the workspace one."),
    as_json: bool = JsonOption,
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Time limit in seconds."),
    watch: bool = typer.Option(False, "--watch", help="Grade again on every save; Ctrl-C to stop."),
) -> None:
    """Run the hidden test suite against your solution; exit 0 only when every test passed."""
    from .commands import exercises
    raise typer.Exit(exercises.grade(slug, file, as_json, timeout, watch))


@app.command()
def hint(slug: Optional[str] = typer.Argument(None, help="Exercise (default: the current one)."),
         lang: Optional[str] = LangOption) -> None:
    """Show the next hint of an exercise."""
    from .commands import exercises
    exercises.hint(slug, lang)


@app.command()
def solution(slug: Optional[str] = typer.Argument(None, help="Exercise (default: the current one)."),
             yes: bool = typer.Option(False, "--yes", "-y", help="Skip the confirmation.")) -> None:
    """Show the reference solution (after a confirmation; recorded)."""
    from .commands import exercises
    exercises.solution(slug, yes)


@app.command()
def selftest(slug: Optional[List[str]] = typer.Argument(None, help="Exercises (default: all)."),
             as_json: bool = JsonOption) -> None:
    """Prove the suites: each reference passes, each starter and mutant fails."""
    from .commands import exercises
    raise typer.Exit(exercises.selftest(slug or [], as_json))


@app.command()
    history: bool = typer.Option(False, "--history", help="List earlier attempts and archived files of SLUG."),
def validate(
    paths: Optional[List[Path]] = typer.Argument(None, help="Bank files, exercise folders or folders of them."),
    as_json: bool = JsonOption,
    coverage: bool = typer.Option(False, "--coverage", help="Also list note sections with no question."),
) -> None:
    """Check banks and exercises against the schema: one 'file:line: message' per problem."""
    from .commands import content
    raise typer.Exit(content.validate(paths or [], as_json, coverage))


@app.command("import")
def import_notes(notes: Path = typer.Argument(..., help="A Markdown notes file."),
                 topic: str = typer.Option(..., "--topic", help="Topic name of the new bank."),
                 out: Optional[Path] = typer.Option(None, "--out", help="Where to write (default: questions/<topic>.yaml in the workspace).")) -> None:
    """Turn a Markdown notes file into a bank: one open question per section."""
    from .commands import content
    content.import_notes(notes, topic, out)


@app.command()
def export(out: Path = typer.Argument(..., help="Output file."),
           format_: str = typer.Option("json", "--format", help="anki (tab-separated, importable) or json."),
           lang: Optional[str] = LangOption) -> None:
    """Export the questions and your card state."""
    from .commands import content
    content.export(out, format_, lang)


@app.command()
def doctor(as_json: bool = JsonOption) -> None:
    """What this machine can grade: torch, triton, CUDA, gloo, folders."""
    from .commands import system
    system.doctor(as_json)


def main() -> None:
    try:
        app()
    except QuizError as problem:
        from .render import error
        error(str(problem))
        sys.exit(problem.code)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
