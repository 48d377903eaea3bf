"""Rich rendering shared by the commands. Nothing here decides anything."""

from __future__ import annotations

import sys

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

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
           "mistake": "that is the classic mistake", "controls": "? don't know · h hint · q quit"},
    "zh": {"right": "正确", "wrong": "错误", "dont_know": "不知道", "read_as": "读作", "expected": "应为",
           "answer": "答案", "why": "解析", "keys": "要点",
           "rate": "自评：again / hard / good / easy（1-4）",
           "mistake": "这是典型错误", "controls": "? 不知道 · h 提示 · q 退出"},
}


def error(message: str) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # one line, whatever the width


def stars(difficulty: int) -> str:
    return "★" * difficulty + "☆" * (3 - difficulty)


def question(posed, number: int, total: int, topic: str) -> None:
    q = posed.question
    title = f"{number}/{total} · {topic} · {q['type']} · {stars(int(q.get('difficulty', 1)))}"
    body = Text(posed.prompt)
    if posed.choices:
        body.append("\n")
        width = console.width - 4 - 6  # inside the panel's border and padding, after "  a) "
        for index, choice in enumerate(posed.choices):
            label = f"{index + 1}" if q["type"] == "order" else "abcdefghijklmnopqrstuvwxyz"[index]
            for number, line in enumerate(Text(choice).wrap(console, max(width, 20))):
                body.append(f"\n  {label}) " if number == 0 else "\n      ", style="bold cyan")
                body.append(line)
    if q["type"] == "numeric" and q.get("unit"):
        body.append(f"\n\n  unit: {q['unit']}", style="dim")
    console.print(Panel(with_code(body, len(posed.prompt), q.get("code")), title=title, title_align="left",
                        border_style="blue"))
    hint = TYPE_HELP[posed.lang][q["type"]]
    console.print(f"[dim]{escape(hint)} · {escape(WORDS[posed.lang]['controls'])}[/]")


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


def reveal(posed) -> None:
    words = WORDS[posed.lang]
    console.print(Text(f"{words['answer']}: ", style="bold").append(Text(posed.answer, style="")))
    if posed.explanation:
        console.print(Text(f"{words['why']}: ", style="bold").append(Text(posed.explanation, style="dim")))
    console.print()


def key_points(posed, points: list[str]) -> None:
    words = WORDS[posed.lang]
    console.print(Text(f"{words['answer']}: ", style="bold").append(posed.answer))
    console.print(f"[bold]{words['keys']}:[/]")
    for point in points:
        console.print(Text(f"  • {point}"))
    if posed.explanation:
        console.print(Text(f"{words['why']}: ", style="bold").append(Text(posed.explanation, style="dim")))


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
