"""Validation of exercises: the manifest, the files it needs, and mistakes.yaml (patches that still apply)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from . import mistakes, schema_loop, yamlio
from .content import Exercise, read_exercise
from .schema import EXERCISE_KEYS, MISTAKE_KEYS, REQUIREMENTS, TOPICS, Problem, _Checker


def defined_names(source: str) -> set[str]:
    """Top-level names a module defines (functions, classes, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def validate_exercise(folder: Path) -> list[Problem]:
    path = folder / "exercise.yaml"
    check = _Checker(path)
    try:
        exercise: Exercise = read_exercise(folder)
    except yamlio.YamlError as exc:
        check.add(exc.line, exc.problem)
        return check.problems
    m = exercise.manifest
    for key, line in m.duplicates:
        check.add(line, f"duplicate key '{key}'")
    for key in sorted(set(m) - EXERCISE_KEYS):
        check.add(m.line_of(key), f"unknown field '{key}'")
    if m.get("slug") != folder.name:
        check.add(m.line_of("slug"), f"'slug' must equal the folder name ({folder.name!r})")
    check.bilingual(m, "title")
    if m.get("topic") not in TOPICS:
        check.add(m.line_of("topic"), f"'topic' must be one of {', '.join(TOPICS)}")
    if m.get("difficulty") not in (1, 2, 3):
        check.add(m.line_of("difficulty"), "'difficulty' must be 1, 2 or 3")
    requires = m.get("requires") or []
    if not isinstance(requires, list) or set(requires) - set(REQUIREMENTS):
        check.add(m.line_of("requires"), f"'requires' must be a list drawn from {', '.join(REQUIREMENTS)}")
    timeout = m.get("timeout")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        check.add(m.line_of("timeout"), "'timeout' must be a positive number of seconds")
    names = m.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
        check.add(m.line_of("names"), "'names' must list the names the solution defines")
        names = []
    banned = m.get("banned") or []
    if not isinstance(banned, list) or not all(isinstance(b, str) and re.match(r"^[\w.]+$", b) for b in banned):
        check.add(m.line_of("banned"), "'banned' must list dotted names, e.g. torch.optim")
    hints = m.get("hints")
    if not isinstance(hints, list) or not hints:
        check.add(m.line_of("hints"), "'hints' must list at least one {en, zh} hint")
    else:
        check.text_or_bilingual(hints, "hints", m.line_of("hints"))
    sources = m.get("sources")
    if not isinstance(sources, list) or not sources:
        check.add(m.line_of("sources"), "'sources' must list note sections")
    else:
        for index in range(len(sources)):
            check.source(_wrap(sources, index))
    _exercise_files(check, exercise, names)
    schema_loop.check_variants(check, m)
    schema_loop.check_after(check, m, folder.name, {p.name for p in folder.parent.iterdir() if p.is_dir()})
    return check.problems + validate_mistakes(exercise)


def _wrap(items: list, index: int) -> dict:
    node = yamlio.MarkedDict(source=items[index])
    node.line = items.line_of(index)
    return node


def _exercise_files(check: _Checker, exercise: Exercise, names: list[str]) -> None:
    required = [exercise.folder / "prompt.md", exercise.folder / "prompt.zh.md", exercise.starter, exercise.suite,
                exercise.solution]
    for path in required:
        if not path.is_file():
            check.add(1, f"missing file {path.name if path.parent == exercise.folder else path}")
    for label, path in [("starter", exercise.starter), ("solution", exercise.solution)]:
        if not path.is_file():
            continue
        try:
            source = path.read_text(encoding="utf-8")
            defined = defined_names(source)
        except SyntaxError as exc:
            check.add(1, f"{label} {path.name} does not parse: line {exc.lineno}: {exc.msg}")
            continue
        for name in names:
            if name not in defined:
                check.add(exercise.manifest.line_of("names"), f"{label} does not define {name!r}")


def validate_mistakes(exercise: Exercise) -> list[Problem]:
    """``mistakes.yaml``: well-formed entries whose patches still apply to the reference and still parse."""
    check = _Checker(exercise.mistakes_file)
    if not exercise.mistakes_file.is_file():
        check.add(1, "missing file mistakes.yaml (the classic mistakes, each a patch of the reference)")
        return check.problems
    try:
        data = yamlio.load(exercise.mistakes_file)
    except yamlio.YamlError as exc:
        check.add(exc.line, exc.problem)
        return check.problems
    if not isinstance(data, list) or not data:
        check.add(1, "mistakes.yaml must be a list of {id, label: {en, zh}, tags, patch}")
        return check.problems
    seen: set[str] = set()
    for index, entry in enumerate(data):
        line = data.line_of(index)
        if not isinstance(entry, dict):
            check.add(line, "each mistake is a mapping {id, label, tags, patch}")
            continue
        for key in sorted(set(entry) - MISTAKE_KEYS):
            check.add(entry.line_of(key), f"unknown field '{key}'")
        mistake_id = entry.get("id")
        if not isinstance(mistake_id, str) or not mistakes.ID.fullmatch(mistake_id) or mistake_id in seen:
            check.add(entry.line_of("id"), f"'id' must be unique and match [a-z0-9_]+ (got {mistake_id!r})")
        seen.add(str(mistake_id))
        check.bilingual(entry, "label")
        label = entry.get("label")
        if isinstance(label, dict) and any("TODO" in str(v) for v in label.values()):
            check.add(entry.line_of("label"), "a label is still a placeholder (TODO): write it for the learner")
        tags = entry.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) and mistakes.TAG.fullmatch(t) for t in tags):
            check.add(entry.line_of("tags"), "'tags' must list misconception tags like gqa-grouping")
        patch = entry.get("patch")
        if not isinstance(patch, list) or not patch or not all(
                isinstance(e, dict) and isinstance(e.get("old"), str) and isinstance(e.get("new"), str)
                and e["old"] and set(e) <= {"old", "new", "count"} for e in patch):
            check.add(entry.line_of("patch"), "'patch' must list edits {old, new, count?} of the reference")
    if check.problems or not exercise.solution.is_file():
        return check.problems
    for mistake in mistakes.from_data(data):
        try:
            exercise.mutant_source(mistake)
        except mistakes.PatchError as exc:
            check.add(mistake.line, f"{exc}: update the patch to the current reference")
    return check.problems
