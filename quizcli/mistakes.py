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

    An ``old`` without a line break is replaced wherever it occurs inside a line. One with a line break is a block
    of whole lines (a trailing line break marks a single whole line): it matches at any deeper indentation than it
    is written with, ``new`` gets the same extra indentation, and an empty ``new`` deletes the lines.
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
    lines = source.split("\n")
    block = edit.old.removesuffix("\n").split("\n")
    replacement = edit.new.removesuffix("\n").split("\n") if edit.new.strip() else []
    out, found, i = [], 0, 0
    while i < len(lines):
        extra = _extra_indent(lines, i, block)
        if extra is None:
            out.append(lines[i])
            i += 1
            continue
        out += [extra + line if line else "" for line in replacement]
        found, i = found + 1, i + len(block)
    return "\n".join(out), found


def _extra_indent(lines: list[str], i: int, block: list[str]) -> str | None:
    """The indentation to add to ``block`` so that it equals lines[i:], or None where it does not match."""
    if i + len(block) > len(lines) or not lines[i].endswith(block[0].lstrip()) or not block[0].strip():
        return None
    extra = lines[i][: len(lines[i]) - len(block[0])]
    if extra.strip() or extra + block[0] != lines[i]:
        return None
    if all(lines[i + j] == extra + line if line.strip() else not lines[i + j].strip() for j, line in enumerate(block)):
        return extra
    return None


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
