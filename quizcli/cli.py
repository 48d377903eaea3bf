"""The command line: parse arguments, call one function per command. Heavy imports stay inside commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
import typer.core

from . import __version__
from .errors import ExitCode, QuizError


def _plain_help() -> None:
    """Help stays click's plain text (rich panels cost ~4x the start-up of ``--help``). Typer 0.19 quirks:
    it escapes ``[default: …]`` for rich even then (a literal backslash); click 8.5 resets the help of
    arguments that typer sets before calling click's constructor, and lists them a second time."""
    typer.core.HAS_RICH = False  # read only when formatting help: the escaping above
    init = typer.core.TyperArgument.__init__

    def keep_help(self, *args, help=None, **kwargs):  # noqa: A002 - click's own parameter name
        init(self, *args, help=help, **kwargs)
        self.help = help

    typer.core.TyperArgument.__init__ = keep_help
    typer.core.TyperCommand.format_arguments = lambda self, ctx, formatter: None  # typer's section suffices


_plain_help()
app = typer.Typer(
    help="quiz — a command-line coach for machine-learning interviews: questions, exercises, spaced repetition.",
    no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _topics(incomplete: str) -> list[str]:
    from .content import bank_paths
    return [name for name in bank_paths() if name.startswith(incomplete)]


def _slugs(incomplete: str) -> list[str]:
    from .content import exercise_folders
    return [name for name in exercise_folders() if name.startswith(incomplete)]


def _version(shown: bool) -> None:
    if shown:
        print(f"quiz {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    pass  # the app's help says what quiz is; this only adds --version


LangOption = typer.Option(None, "--lang", help="Language: en or zh (default: the 'language' setting).")
JsonOption = typer.Option(False, "--json", help="Print JSON (for scripts) instead of the usual output.")
TopicOption = typer.Option(None, "--topic", "-t", autocompletion=_topics, help="Topic (repeatable); default: all.")


@app.command()
def topics(as_json: bool = JsonOption) -> None:
    """List topics with question counts per type and your mastery."""
    from .commands import questions
    questions.topics(as_json)


@app.command()
def ask(
    topic: Optional[List[str]] = TopicOption,
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
    topic: Optional[List[str]] = TopicOption,
    lang: Optional[str] = LangOption,
) -> None:
    """Today's review: due questions and exercises (FSRS), then new cards up to the daily limit."""
    from .commands import reviewing
    raise typer.Exit(reviewing.review(limit, new, topic or [], lang))


@app.command()
def stats(as_json: bool = JsonOption,
          on: Optional[str] = typer.Option(None, "--on", help="Readiness on this day (YYYY-MM-DD), e.g. the interview.")
          ) -> None:
    """Progress: cards, reviews, streak, mastery and readiness per topic, heatmap and due forecast."""
    from .commands import reviewing
    reviewing.stats(as_json, on)


@app.command()
def plan(
    interview: Optional[str] = typer.Option(None, "--interview", help="Make a plan for this day (YYYY-MM-DD)."),
    minutes: int = typer.Option(60, "--minutes-per-day", min=1, help="Minutes of study a day."),
    topic: Optional[List[str]] = TopicOption,
    as_json: bool = JsonOption,
    clear: bool = typer.Option(False, "--clear", help="Drop the active plan."),
) -> None:
    """Plan for an interview date (new cards per day so that all is learned by then); alone: the progress."""
    from .commands import preparing
    raise typer.Exit(preparing.plan(interview, minutes, topic or [], as_json, clear))


@app.command()
def mock(
    minutes: int = typer.Option(45, "--minutes", min=1, help="Length of the session."),
    topic: Optional[List[str]] = TopicOption,
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed: the same seed asks the same session."),
    lang: Optional[str] = LangOption,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON at the end."),
) -> None:
    """A timed mock interview: questions across topics plus one exercise, no hints, a report at the end."""
    from .commands import mock as mocking
    raise typer.Exit(mocking.mock_interview(minutes, topic or [], seed, lang, as_json))


@app.command()
def flags(clear: Optional[str] = typer.Option(None, "--clear", help="Put this card back into the schedule."),
          as_json: bool = JsonOption) -> None:
    """Cards flagged as wrong or unclear (type f during ask, review or mock): out of the schedule."""
    from .commands import preparing
    raise typer.Exit(preparing.flags(clear, as_json))


@app.command(context_settings={"ignore_unknown_options": True})  # so that `quiz config KEY -3` is a value
def config(key: Optional[str] = typer.Argument(None, help="Setting name (omit to list them all)."),
           value: Optional[str] = typer.Argument(None, help="New value (omit to show the current one).")) -> None:
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
    slug: Optional[str] = typer.Argument(None, autocompletion=_slugs, help="Exercise to start; omit for the catalogue."),
    as_json: bool = JsonOption,
    force: bool = typer.Option(False, "--force", help="Overwrite your workspace file (a backup is kept)."),
    lang: Optional[str] = LangOption,
    history: bool = typer.Option(False, "--history", help="List earlier attempts and archived files of SLUG."),
) -> None:
    """Without SLUG: the catalogue. With SLUG: write the starter to the workspace and show the task.

    When the exercise is due for review (or new), this starts a fresh attempt: your previous file is archived."""
    from .commands import exercises
    exercises.exercise(slug, as_json, force, lang, history)


@app.command()
def grade(
    slug: Optional[str] = typer.Argument(None, autocompletion=_slugs, help="Exercise (default: the one you started last)."),
    file: Optional[Path] = typer.Option(None, "--file", help="Grade this file instead of the workspace one."),
    as_json: bool = JsonOption,
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Time limit in seconds."),
    watch: bool = typer.Option(False, "--watch", help="Grade again on every save; Ctrl-C to stop."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Every failure in full (default: the first)."),
) -> None:
    """Run the hidden test suite against your solution; exit 0 only when every test passed."""
    from .commands import exercises
    raise typer.Exit(exercises.grade(slug, file, as_json, timeout, watch, verbose))


@app.command()
def hint(slug: Optional[str] = typer.Argument(None, autocompletion=_slugs, help="Exercise (default: the current one)."),
         lang: Optional[str] = LangOption) -> None:
    """Show the next hint of an exercise."""
    from .commands import exercises
    exercises.hint(slug, lang)


@app.command()
def solution(slug: Optional[str] = typer.Argument(None, autocompletion=_slugs, help="Exercise (default: the current one)."),
             yes: bool = typer.Option(False, "--yes", "-y", help="Skip the confirmation.")) -> None:
    """Show the reference solution (after a confirmation; recorded)."""
    from .commands import exercises
    exercises.solution(slug, yes)


@app.command()
def selftest(slug: Optional[List[str]] = typer.Argument(None, autocompletion=_slugs, help="Exercises (default: all)."),
             as_json: bool = JsonOption) -> None:
    """Prove the suites: each reference passes, each starter and mutant fails."""
    from .commands import exercises
    raise typer.Exit(exercises.selftest(slug or [], as_json))


@app.command()
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
                 out: Optional[Path] = typer.Option(None, "--out", help="Where to write (default: your banks folder, QUIZ_HOME/banks)."),
                 force: bool = typer.Option(False, "--force", help="Replace an existing bank (a backup is kept).")) -> None:
    """Turn a Markdown notes file into a bank of your own: one open question per section."""
    from .commands import content
    content.import_notes(notes, topic, out, force)


@app.command()
def export(out: Path = typer.Argument(..., help="Output file."),
           format_: Optional[str] = typer.Option(
               None, "--format", help="json (default), anki (tab-separated text) or apkg (an Anki package; also "
                                      "chosen by an .apkg file name; needs genanki)."),
           lang: Optional[str] = LangOption) -> None:
    """Export the questions and your card state."""
    from .commands import content
    content.export(out, format_, lang)


@app.command()
def doctor(as_json: bool = JsonOption) -> None:
    """What this machine can grade: torch, triton, CUDA, gloo, folders."""
    from .commands import system
    raise typer.Exit(system.doctor(as_json))


def main() -> None:
    try:
        app(prog_name="quiz")  # also under `python -m quizcli`: one usage line, one completion variable
    except QuizError as problem:
        from .render import error
        error(str(problem))
        sys.exit(problem.code)
    except OSError as problem:  # the file system said no (full disk, permissions …): not a bug of quiz
        from .render import error
        where = f"{problem.filename}: " if problem.filename else ""
        error(f"{where}{problem.strerror or problem}")
        sys.exit(ExitCode.ERROR)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
