"""Rich rendering shared by the commands. Nothing here decides anything."""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from rich.cells import cell_len
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from .questions import CJK

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

TYPE_HELP = {
    "en": {"mcq": "a letter", "multi": "letters, e.g. a,c", "numeric": "a number", "cloze": "the blanks, ';' between",
           "order": "the order, e.g. 3 1 2", "open": "your answer"},
    "zh": {"mcq": "一个字母", "multi": "多个字母，如 a,c", "numeric": "一个数", "cloze": "填空，多个用 ; 分隔",
           "order": "顺序，如 3 1 2", "open": "你的回答"},
}
WORDS = {
    "en": {"right": "right", "wrong": "wrong", "dont_know": "don't know", "read_as": "read as",
           "expected": "expected", "answer": "Answer", "why": "Why", "keys": "Key points",
           "rate": "How well did you know it? again / hard / good / easy (1-4)",
           "mistake": "that is the classic mistake", "controls": "? don't know · h hint · f flag · q quit",
           "hint_control": " · h hint", "hint": "hint", "no_hint": "no hint for this one",
           "hinted": "a right answer now counts as Hard"},
    "zh": {"right": "正确", "wrong": "错误", "dont_know": "不知道", "read_as": "读作", "expected": "应为",
           "answer": "答案", "why": "解析", "keys": "要点",
           "rate": "自评：again / hard / good / easy（1-4）",
           "mistake": "这是典型错误", "controls": "? 不知道 · h 提示 · f 标记有误 · q 退出",
           "hint_control": " · h 提示", "hint": "提示", "no_hint": "这题没有提示", "hinted": "答对也只记为 Hard"},
}


def error(message: str) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # one line, whatever the width


def stars(difficulty: int) -> str:
    return "★" * difficulty + "☆" * (3 - difficulty)


@lru_cache(maxsize=1)
def _tokens() -> re.Pattern:
    """One CJK character, a run of spaces, or a run of anything else (compiled on first use: ~15 ms)."""
    chars = CJK.pattern[1:-1]
    return re.compile(f"[{chars}]|\\s+|[^\\s{chars}]+")


def fit(text: str, width: int) -> str:
    """Line breaks for text with Chinese in it: a line may end between any two CJK characters and Latin words
    stay whole (rich breaks only at spaces, which leaves a short line before every Latin word)."""
    if not CJK.search(text):
        return text
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens().findall(paragraph):
            if line.strip() and cell_len(line + token.rstrip()) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        lines.append(line.rstrip())
    return "\n".join(lines)


def question(posed, number: int, total: int, topic: str, has_hint: bool = True) -> None:
    q = posed.question
    title = f"{number}/{total} · {topic} · {q['type']} · {stars(int(q.get('difficulty', 1)))}"
    prompt = fit(posed.prompt, console.width - 4)  # inside the panel's border and padding
    body = Text(prompt)
    if posed.choices:
        body.append("\n")
        width = max(console.width - 4 - 6, 20)  # after "  a) "
        for index, choice in enumerate(posed.choices):
            label = f"{index + 1}" if q["type"] == "order" else "abcdefghijklmnopqrstuvwxyz"[index]
            for number, line in enumerate(Text(fit(choice, width)).wrap(console, width)):
                body.append(f"\n  {label}) " if number == 0 else "\n      ", style="bold cyan")
                body.append(line)
    if q["type"] == "numeric" and q.get("unit"):
        body.append(f"\n\n  unit: {q['unit']}", style="dim")
    console.print(Panel(with_code(body, len(prompt), q.get("code")), title=title, title_align="left",
                        border_style="blue"))
    controls = WORDS[posed.lang]["controls"]
    if not has_hint:
        controls = controls.replace(WORDS[posed.lang]["hint_control"], "")
    console.print(f"[dim]{escape(TYPE_HELP[posed.lang][q['type']])} · {escape(controls)}[/]")


def with_code(body: Text, prompt_length: int, code: dict | None):
    """A spot-the-bug snippet, with line numbers, between the question and its choices."""
    if not code:
        return body
    from rich.syntax import Syntax  # pygments: paid only by questions that show code

    prompt, *rest = body.divide([prompt_length, prompt_length + 1])[::2]
    snippet = Syntax(code["text"].strip("\n"), code.get("language", "python"), line_numbers=True, word_wrap=True)
    return Group(prompt, Text(), snippet, *[part for part in rest if part.plain])


def verdict(posed, result, dont_know: bool = False) -> None:
    """✓ / ✗ / ? with how a numeric reply was read and, when wrong, the expected value with its tolerance;
    the answer itself follows once (``reveal``)."""
    words = WORDS[posed.lang]
    details = []
    if result.reading and not dont_know:
        details.append(f"{words['read_as']} {result.reading}")
    if not result.correct and posed.type == "numeric":
        details.append(f"{words['expected']} {result.expected} ± {float(posed.question['tolerance']) * 100:g} %")
    elif not result.correct and (posed.type != "cloze" or folded(result.expected) not in folded(posed.answer)):
        details.append(f"{words['expected']} {result.expected}")  # letters, an order, blanks the answer lacks
    tail = f" — {escape('; '.join(details))}" if details else ""
    if dont_know:
        console.print(f"[bold yellow]? {words['dont_know']}[/]{tail}")
    elif result.correct:
        console.print(f"[bold green]✓ {words['right']}[/]{tail}")
    else:
        console.print(f"[bold red]✗ {words['wrong']}[/]{tail}")
    mistake = result.mistake
    if mistake:
        console.print(f"[yellow]{words['mistake']}: {escape(mistake)}[/]")
    reveal(posed)


def folded(value: str) -> str:
    return " ".join(value.split()).casefold()


def labelled(label: str, body: str, style: str = "") -> Text:
    """``label: body`` with the label bold, broken into lines that fit (see ``fit``)."""
    line = Text(fit(f"{label}: {body}", console.width))
    line.stylize("bold", 0, len(label) + 1)
    if style:
        line.stylize(style, len(label) + 2)
    return line


def reveal(posed) -> None:
    words = WORDS[posed.lang]
    console.print(labelled(words["answer"], posed.answer))
    if posed.explanation:
        console.print(labelled(words["why"], posed.explanation, "dim"))
    console.print()


def key_points(posed, points: list[str]) -> None:
    words = WORDS[posed.lang]
    console.print(labelled(words["answer"], posed.answer))
    console.print(f"[bold]{words['keys']}:[/]")
    for point in points:
        console.print(Text(fit(f"  • {point}", console.width)))
    if posed.explanation:
        console.print(labelled(words["why"], posed.explanation, "dim"))


def summary(lines: list[tuple[str, str]]) -> None:
    text = "   ".join(f"[bold]{escape(k)}[/] {escape(v)}" for k, v in lines)
    console.print(Panel(text, border_style="green", expand=False))


def interactive() -> bool:
    return sys.stdin.isatty()


class _Quiet:
    """``working`` when stdout is not a terminal: nothing to animate."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, message: str) -> None:
        pass


def working(message: str):
    """A spinner while something slow runs (importing torch, probing a GPU): ``with working(m) as status:``,
    ``status.update(m)``; nothing when not a terminal."""
    if not console.is_terminal:
        return _Quiet()
    return console.status(f"[dim]{escape(message)}[/]", spinner="dots")
