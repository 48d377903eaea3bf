"""Classic mistakes of an exercise: each one a small patch of the reference solution (``mistakes.yaml``).

One home per mistake: its id, the label the learner reads, the misconception tags that link it to questions,
and the change that makes it. ``quiz selftest`` and the catalogue-wide test build every mutant from the
reference with ``mutant_source`` and require the hidden suite to fail it. Pure logic apart from ``load``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import yamlio

FILE_NAME = "mistakes.yaml"
ID = re.compile(r"[a-z0-9_]+")
TAG = re.compile(r"[a-z0-9][a-z0-9-]*")


class PatchError(ValueError):
    """A patch that no longer applies to the reference."""


@dataclass(frozen=True)
class Edit:
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Mistake:
    id: str
    label: dict
    tags: tuple[str, ...] = ()
    patch: tuple[Edit, ...] = field(default_factory=tuple)
    line: int = 0   # where the entry starts in mistakes.yaml

    def text(self, lang: str = "en") -> str:
        return str(self.label.get(lang) or self.label.get("en") or self.id)


def apply_patch(source: str, mistake: Mistake) -> str:
    """The reference ``source`` with ``mistake``'s edits applied in order; PatchError names what went wrong.

    A one-line ``old`` is replaced wherever it occurs inside a line; a multi-line ``old`` is a block of whole
    lines written without their common indentation: it matches at any indentation, and ``new`` gets the same.
    """
    for number, edit in enumerate(mistake.patch, 1):
        source, found = _replace(source, edit)
        if found != edit.count:
            times = "once" if edit.count == 1 else f"{edit.count} times"
            raise PatchError(f"mistake {mistake.id}: edit {number} expects its `old` text {times} in the "
                             f"reference, found it {found} times: {edit.old.splitlines()[0][:60]!r}")
    return source


def _replace(source: str, edit: Edit) -> tuple[str, int]:
    if "\n" not in edit.old:
        return source.replace(edit.old, edit.new), source.count(edit.old)
    lines, block = source.split("\n"), edit.old.split("\n")
    out, found, i = [], 0, 0
    while i < len(lines):
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        if _block_at(lines, i, block, indent):
            out += [indent + line if line else "" for line in edit.new.split("\n")]
            found, i = found + 1, i + len(block)
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out), found


def _block_at(lines: list[str], i: int, block: list[str], indent: str) -> bool:
    if i + len(block) > len(lines):
        return False
    return all(lines[i + j] == indent + line if line else not lines[i + j].strip() for j, line in enumerate(block))


def from_data(data) -> list[Mistake]:
    """Mistakes from a parsed ``mistakes.yaml`` (a list); entries that are not mappings are skipped (validate names them)."""
    mistakes = []
    for index, entry in enumerate(data if isinstance(data, list) else []):
        if not isinstance(entry, dict):
            continue
        edits = tuple(Edit(str(e.get("old", "")), str(e.get("new", "")), int(e.get("count", 1)))
                      for e in entry.get("patch") or [] if isinstance(e, dict))
        label = entry.get("label") if isinstance(entry.get("label"), dict) else {"en": str(entry.get("label", ""))}
        line = data.line_of(index) if hasattr(data, "line_of") else 0
        mistakes.append(Mistake(str(entry.get("id", "")), dict(label), tuple(entry.get("tags") or ()), edits, line))
    return mistakes


def load(path: Path) -> list[Mistake]:
    return from_data(yamlio.load(path)) if path.is_file() else []
