"""Start-up cost of the fast commands against importing the CLI libraries alone.

    python benchmarks/startup.py

Prints median wall and CPU times and their ratios to `python -c "import typer, rich, yaml"` (target: topics and
the first question of ask ≤ 1.3×; shell completion of a topic or a slug not slower than `quiz --help`).

Measured on the shared 2-core machine (load ~11), wall / CPU ratios: before the bank index and lazy imports,
topics 1.99 / 1.93, ask 2.08 / 1.88, completion 2.42 / 1.44 (help 0.87 / 1.02); after, topics 1.03 / 1.13,
ask 1.10 / 1.37, completion 0.76-0.81 / 0.92-0.97 (help 0.92 / 1.04). What ask has left beyond topics is rich's
Console, Text and Panel (~21-28 ms of imports) for the question's panel, and the round's modules.
"""

from __future__ import annotations

import sys
import tempfile

from _timing import QUIZ, report, timed


def completing(line: str) -> dict:
    """The environment bash's completion script sets for the last word of ``line``."""
    return {"_QUIZ_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split()) - 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {"QUIZ_HOME": home}
        timed(QUIZ + ["topics"], repeat=1, env=env)  # create the database once
        rows = [
            ("import typer, rich, yaml", timed([sys.executable, "-c", "import typer, rich, yaml"])),
            ("quiz --help", timed(QUIZ + ["--help"], env=env)),
            ("quiz topics", timed(QUIZ + ["topics"], env=env)),
            ("quiz ask (first question)", timed(QUIZ + ["ask", "--topic", "transformer", "-n", "1"], env=env)),
            ("completion of a topic", timed(QUIZ, env={**env, **completing("quiz ask --topic tr")})),
            ("completion of a slug", timed(QUIZ, env={**env, **completing("quiz grade a")})),
        ]
    report(rows, "import typer, rich, yaml")


if __name__ == "__main__":
    main()
