"""Output for the fast commands without rich's Console (importing it costs more than the rest of `quiz topics`)."""

from __future__ import annotations

import os
import shutil
import sys

from rich.cells import cell_len  # a small module: the width of CJK text in terminal cells


def width() -> int:
    """The terminal's width in cells (``COLUMNS`` first; 80 when the output is not a terminal)."""
    return shutil.get_terminal_size().columns


def _styled() -> bool:
    """rich's rule, in short: styles on a terminal that is not dumb, or whenever FORCE_COLOR is set."""
    return bool(os.environ.get("FORCE_COLOR")) or (
        sys.stdout.isatty() and os.environ.get("TERM", "").lower() not in ("dumb", "unknown"))


def bold(text: str) -> str:
    return f"\x1b[1m{text}\x1b[0m" if _styled() else text


def columns(title: str, headers: list[str], rows: list[list[str]], left: int = 1) -> None:
    """A plain aligned table: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(cell_len(cell) for cell in column) for column in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell + " " * (width - cell_len(cell)) if i < left else " " * (width - cell_len(cell)) + cell
                         for i, (cell, width) in enumerate(zip(cells, widths))).rstrip()
    print(bold(title))
    print(bold(line(headers)))
    print("\n".join(line(row) for row in rows))
