"""A round of questions, shared by ``quiz ask`` and ``quiz review``: show, read, check, record, explain.

Every answer is committed before the next question is shown, so Ctrl-C, EOF or a crash loses nothing
already answered.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from rich.markup import escape

from . import checking, counting, environment, flags, render
from .content import text
from .questions import LETTERS, Posed, format_number
from .store import Store

QUIT = {"q", "quit", "exit", ":q"}
HINT = {"h", "hint", "提示"}


class EndOfInput(Exception):
    """Scripted stdin ran out."""


class Quit(Exception):
    """The user typed q."""


class Replies:
    """Answers from the keyboard, or one per line from a script when stdin is not a terminal."""

    def __init__(self, interactive: bool | None = None):
        self.interactive = render.interactive() if interactive is None else interactive

    def read(self, prompt: str = "> ") -> str:
        if self.interactive:
            try:
                return render.console.input(f"[bold]{prompt}[/]")
            except EOFError:  # Ctrl-D: end the prompt's line, so what follows starts on its own
                render.console.print()
                raise EndOfInput from None
        line = sys.stdin.readline()
        if not line:
            raise EndOfInput
        reply = line.rstrip("\r\n")
        render.console.print(f"[bold]{escape(prompt)}[/]{escape(reply)}")
        return reply


@dataclass
class Tally:
    answered: int = 0
    correct: int = 0
    started: float = field(default_factory=time.monotonic)
    card_ids: list[str] = field(default_factory=list)

    def lines(self, lang: str) -> list[tuple[str, str]]:
        share = counting.accuracy(self.correct, self.answered)
        accuracy = f"{100 * share:.0f}%" if share is not None else "–"
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        labels = ("answered", "correct", "accuracy", "time") if lang == "en" else ("已答", "答对", "正确率", "用时")
        return list(zip(labels, (str(self.answered), str(self.correct), accuracy, f"{minutes}:{seconds:02d}")))


def hint_for(posed: Posed) -> str | None:
    q = posed.question
    if q["type"] in ("mcq", "multi"):
        right = {LETTERS.index(c) for c in ([q["correct"]] if q["type"] == "mcq" else q["correct"])}
        wrong = [i for i in range(len(posed.choices)) if i not in right]
        return f"not {LETTERS[wrong[-1]]}" if wrong else None
    if q["type"] == "cloze":
        return "; ".join(f"{str(accepted[0])[0]}…" for accepted in q["blanks"])
    if q["type"] == "order":
        return f"first: {posed.shown_order.index(0) + 1}"
    if q["type"] == "numeric":
        return _magnitude(posed)
    if q["type"] == "open" and q.get("key_points"):
        return text(q["key_points"][0], posed.lang)  # the first point to cover
    return None


def _magnitude(posed: Posed) -> str:
    """The numeric hint: the power of ten the answer lies in ("between 1000 and 10,000 tokens")."""
    value, unit = posed.value, posed.question.get("unit", "")
    if not value:
        return "0"
    low = 10 ** math.floor(math.log10(abs(value)))
    sign = "-" if value < 0 else ""
    words = ("between", "and") if posed.lang == "en" else ("介于", "和")
    return f"{words[0]} {sign}{format_number(low)} {words[1]} {sign}{format_number(low * 10)} {unit}".rstrip()


@dataclass
class Answer:
    """One graded answer, kept by an uncoached round (a mock) to reveal at the end."""

    posed: Posed
    verdict: checking.Verdict | None  # None for an open question (self-rated)
    correct: bool
    seconds: float


class Round:
    def __init__(self, store: Store, settings: dict, replies: Replies, command: str, coached: bool = True):
        """``coached``: hints on request and the verdict with the explanation after each answer; a mock is not
        coached (no hints; ``answers`` keeps the verdicts for its report)."""
        self.store, self.settings, self.replies, self.command = store, settings, replies, command
        self.coached = coached
        self.tally = Tally()
        self.answers: list[Answer] = []

    def ask(self, posed: Posed, number: int, total: int) -> None:
        q = posed.question
        render.question(posed, number, total, q["topic"], has_hint=self.coached and hint_for(posed) is not None)
        started, hinted = time.monotonic(), False
        while True:
            reply = self.replies.read()
            word = reply.strip().lower()
            if word in QUIT:
                raise Quit
            if flags.is_flag(reply, q):
                self.flag(posed)
                return
            if word in HINT and not self.coached:
                render.console.print("[yellow]no hints in a mock interview[/]")
                continue
            if word in HINT:
                hint = hint_for(posed)
                words = render.WORDS[posed.lang]
                cost = f" [dim]({escape(words['hinted'])})[/]" if q["type"] != "open" else ""  # open: self-rated
                render.console.print(f"[yellow]{escape(words['no_hint'])}[/]" if hint is None else
                                     f"[yellow]{escape(words['hint'])}:[/] {escape(hint)}{cost}")
                hinted = hinted or hint is not None
                continue
            if q["type"] == "open" or checking.is_dont_know(reply):
                break
            try:
                verdict = checking.check(posed, reply)
                break
            except checking.AnswerFormatError as problem:
                if self.replies.interactive:
                    render.console.print(f"[yellow]{escape(str(problem))}[/]")
                    continue
                verdict = checking.Verdict(False, "", reply)
                break
        duration_ms = int((time.monotonic() - started) * 1000)
        # Imported here, not at the top: fsrs costs ~35 ms that should not delay the first question.
        from . import scheduling
        from .progress import record_review

        if q["type"] == "open":
            render.key_points(posed, [text(p, posed.lang) for p in q["key_points"]])
            rating, correct = self.self_rating(posed.lang), None
        else:
            if checking.is_dont_know(reply):
                verdict = checking.Verdict(False, self.expected(posed), reply.strip() or "?")
            verdict.expected = verdict.expected or self.expected(posed)
            correct = verdict.correct
            fast = self.settings.get(f"fast_{q['type']}")
            rating = scheduling.rating_for_answer(correct, duration_ms / 1000, fast, hinted)
        record_review(self.store, self.settings, card_id=q["id"], kind="question", topic=q["topic"], rating=rating,
                      correct=correct, answer=reply, duration_ms=duration_ms, command=self.command,
                      now=environment.now())
        self.tally.answered += 1
        self.tally.correct += counting.is_correct(correct, int(rating))
        self.tally.card_ids.append(q["id"])
        if not self.coached:
            self.answers.append(Answer(posed, None if q["type"] == "open" else verdict, counting.is_correct(
                correct, int(rating)), duration_ms / 1000))
            render.console.print("[dim]recorded[/]\n")
        elif q["type"] != "open":
            render.verdict(posed, verdict, dont_know=checking.is_dont_know(reply))
        else:
            render.console.print()

    def flag(self, posed: Posed) -> None:
        """Take the question out of the schedule, with the reason typed next (may be empty); nothing is graded."""
        reason = self.replies.read("reason (optional) > ")
        flags.flag(self.store, posed.question, reason, environment.now())
        render.console.print(f"[yellow]flagged {escape(posed.id)}: it leaves the schedule until "
                             f"`quiz flags --clear {escape(posed.id)}`[/]\n")

    @staticmethod
    def expected(posed: Posed) -> str:
        """The right answer in words, for a reply that could not be checked."""
        try:
            return checking.check(posed, _right_reply(posed)).expected
        except checking.AnswerFormatError:
            return ""

    def self_rating(self, lang: str):
        from . import scheduling

        while True:
            reply = self.replies.read(render.WORDS[lang]["rate"] + " > ")
            if reply.strip().lower() in QUIT:
                raise Quit
            rating = scheduling.parse_rating(reply)
            if rating is not None:
                return rating
            if not self.replies.interactive:
                return scheduling.Rating.Again
            render.console.print("[yellow]again, hard, good or easy (or 1-4)[/]")


def _right_reply(posed: Posed) -> str:
    q = posed.question
    if q["type"] == "mcq":
        return q["correct"]
    if q["type"] == "multi":
        return ",".join(q["correct"])
    if q["type"] == "numeric":
        return repr(posed.value)
    if q["type"] == "cloze":
        return ";".join(str(b[0]) for b in q["blanks"])
    if q["type"] == "order":
        return " ".join(str(posed.shown_order.index(i) + 1) for i in range(len(posed.shown_order)))
    return ""


def run(round_: Round, posed: list[Posed], go_on: Callable[[], bool] | None = None) -> str:
    """Ask every question; returns how the round ended: 'done', 'quit', 'eof', 'interrupted', or 'stopped' when
    ``go_on`` (asked before each question: a mock's clock) said no."""
    try:
        for number, item in enumerate(posed, start=1):
            if go_on is not None and not go_on():
                return "stopped"
            round_.ask(item, number, len(posed))
    except Quit:
        return "quit"
    except EndOfInput:
        return "eof"
    except KeyboardInterrupt:
        render.console.print()
        return "interrupted"
    return "done"
