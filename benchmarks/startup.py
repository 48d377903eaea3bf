"""Start-up cost of the fast commands against importing the CLI libraries alone.

    python benchmarks/startup.py

Prints median wall times and ratios to `python -c "import typer, rich, yaml"` (target ≤ 1.3×).
"""

from __future__ import annotations

import sys
import tempfile

from _timing import QUIZ, report, wall


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {"QUIZ_HOME": home}
        wall(QUIZ + ["topics"], repeat=1, env=env)  # create the database once
        rows = [
            ("import typer, rich, yaml", wall([sys.executable, "-c", "import typer, rich, yaml"])),
            ("quiz --help", wall(QUIZ + ["--help"], env=env)),
            ("quiz topics", wall(QUIZ + ["topics"], env=env)),
            ("quiz ask (first question)", wall(QUIZ + ["ask", "--topic", "transformer", "-n", "1"], env=env)),
        ]
    report(rows, "import typer, rich, yaml")


if __name__ == "__main__":
    main()
