"""How a grade looks: a line per test as its result arrives, a status line below them while the suite runs,
and afterwards a summary short enough that the first failure stays on screen."""

from __future__ import annotations

import time
from collections import Counter

from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.text import Text

from .. import render
from ..grading import GradeResult, TestResult

MARKS = {"passed": "[green]✓[/]", "failed": "[red]✗[/]", "error": "[red]![/]", "skipped": "[dim]-[/]",
         "timeout": "[yellow]⏱[/]"}
KNOWN_MISTAKE = "this looks like a known mistake:"  # how quizcli.testing introduces a recognised mistake


def test_line(name: str, outcome: str, duration: float, phase: str = "call") -> str:
    where = f" [dim]({phase})[/]" if phase not in ("call", "") else ""
    return f" {MARKS.get(outcome, '?')} {escape(name)}{where} [dim]{duration:.2f} s[/]"


class LiveGrade:
    """Feed it the suite plugin's records (``on_record``, called from the runner's reader thread).

    On a terminal a status line follows the results: a spinner while the test process starts (torch is
    imported then: seconds), then how many tests are done and the time used against the limit. Elsewhere
    only the lines per test are printed, as they arrive.
    """

    def __init__(self, limit: float):
        self.limit, self.started = limit, time.monotonic()
        self.total: int | None = None
        self.done: set[str] = set()
        self.live = Live(self, console=render.console, transient=True, refresh_per_second=8) \
            if render.console.is_terminal else None

    def __enter__(self) -> "LiveGrade":
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()

    @property
    def streamed(self) -> bool:
        return self.total is not None or bool(self.done)

    def __rich__(self) -> Spinner:
        elapsed = f"{time.monotonic() - self.started:.0f} s of {self.limit:g} s"
        if self.total is None:
            status = f"starting the test process (importing torch …) · {elapsed}"
        else:
            status = f"{len(self.done)}/{self.total} tests · {elapsed}"
        return Spinner("dots", Text(status, style="dim"))

    def on_record(self, record: dict) -> None:
        if record.get("kind") == "collected":
            self.total = len(record.get("nodeids") or [])
        elif record.get("kind") == "test":
            self.done.add(record["nodeid"])
            name = record["nodeid"].split("::", 1)[-1]
            render.console.print(test_line(name, record["outcome"], record.get("duration", 0.0),
                                           record.get("when", "call")))


def _split_known(message: str) -> tuple[list[str], list[str]]:
    """The message's own lines, and the known mistakes it names (shown once for the whole run)."""
    own, known = [], []
    for line in message.splitlines():
        if line.strip().startswith(KNOWN_MISTAKE):
            known.append(line.strip()[len(KNOWN_MISTAKE):].strip())
        elif line.strip():
            own.append(line)
    return own, known


def _print_in_full(test: TestResult, lines: list[str]) -> None:
    render.console.print(f"[bold]{escape(test.name)}[/] {MARKS.get(test.outcome, '?')}")
    for line in lines:
        render.console.print(f"     {escape(line)}", style="red")
    for note in test.notes:
        render.console.print(f"     [cyan]{escape(note)}[/]")


def show_result(result: GradeResult, verbose: bool = False, streamed: bool = False) -> None:
    """The result after the run; ``streamed``: the lines per test were already shown live."""
    if not streamed:
        for test in result.tests:
            render.console.print(test_line(test.name, test.outcome, test.duration))
    else:  # tests the run never reached send no record: say so, or they vanish from the report
        unreached = [t.name for t in result.tests if t.outcome == "skipped" and t.message.startswith("not run")]
        if unreached:
            render.console.print(f"[dim] - not run after that: {escape(', '.join(unreached))}[/]")
    failures = [t for t in result.tests if t.outcome not in ("passed", "skipped")]
    known: Counter = Counter()
    briefly = []
    for index, test in enumerate(failures):
        lines, mistakes = _split_known(test.message)
        known.update(dict.fromkeys(mistakes, 1))
        if index == 0 or verbose:
            _print_in_full(test, lines)
        else:
            briefly.append(f"   {MARKS.get(test.outcome, '?')} {escape(test.name)}: {escape(lines[0] if lines else '')}")
    if briefly:
        render.console.print(f"[bold]{len(briefly)} more failing[/] [dim](quiz grade --verbose shows each in full)[/]")
        for line in briefly:
            render.console.print(line, overflow="ellipsis", no_wrap=True)
    for mistake, count in known.items():
        tests = f"{count} tests" if count > 1 else "1 test"
        render.console.print(f"[cyan]known mistake ({tests}):[/] {escape(mistake)}")
    if result.output.strip(" .\n") and result.verdict in ("crashed", "timeout"):  # more than pytest's dots
        from rich.panel import Panel

        render.console.print(Panel(escape(result.output), title="output (last lines)", border_style="dim"))
    render.console.print(_last_line(result))


def _last_line(result: GradeResult) -> str:
    colour = "green" if result.passed else "red"
    message = result.message
    hung = next((t for t in result.tests if t.outcome == "timeout"), None)
    if result.verdict == "timeout" and hung is not None:
        message = f"{hung.name} did not finish (it ran {hung.duration:.1f} s); {message}"
    return (f"[bold {colour}]{'PASSED' if result.passed else result.verdict.upper()}[/]: "
            f"{escape(message)} [dim]({result.duration:.1f} s)[/]")
