"""Start-up cost of the fast commands against importing the CLI libraries alone.

    python benchmarks/startup.py

Prints median wall and CPU times and their ratios to `python -c "import typer, rich, yaml"` (target: topics and
the first question of ask ≤ 1.3×; shell completion of a topic or a slug not slower than `quiz --help`).
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
