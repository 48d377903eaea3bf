"""Validation of the learning loop's links: exercise variants, prerequisites (``after``), and the misconception
tags that tie each classic mistake (``mistakes.yaml``) to the questions teaching the fact behind it."""

from __future__ import annotations

import re
from pathlib import Path

from . import mistakes, yamlio
from .content import Exercise, read_exercise

VARIANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
VARIANT_KEYS = {"id", "prompt", "params"}


def check_variants(check, manifest: dict) -> None:
    """``variants: [{id, prompt: {en, zh}, params: {...}}]``, ids unique."""
    variants = manifest.get("variants", [])
    if not isinstance(variants, list):
        check.add(manifest.line_of("variants"), "'variants' must be a list of {id, prompt: {en, zh}, params}")
        return
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        line = variants.line_of(index) if isinstance(variants, yamlio.MarkedList) else manifest.line_of("variants")
        if not isinstance(variant, dict) or set(variant) != VARIANT_KEYS:
            check.add(line, f"variants[{index}] must have exactly id, prompt: {{en, zh}} and params")
            continue
        if not isinstance(variant["id"], str) or not VARIANT_ID.match(variant["id"]) or variant["id"] in seen:
            check.add(line, f"variants[{index}] needs a unique id of lowercase letters, digits, '_' and '-'")
        seen.add(str(variant["id"]))
        check.bilingual(variant, "prompt")
        if not isinstance(variant["params"], dict) or not variant["params"]:
            check.add(line, f"variants[{index}].params must map suite parameters to values")


def check_after(check, manifest: dict, slug: str, known: set[str]) -> None:
    after = manifest.get("after", [])
    if not isinstance(after, list) or not all(isinstance(s, str) for s in after):
        check.add(manifest.line_of("after"), "'after' must list exercise slugs to do first")
        return
    for name in after:
        if name == slug or name not in known:
            check.add(manifest.line_of("after"), f"'after' names {name!r}, which is not another exercise")


def unlinked_mistakes(exercise_folders: list[Path], banks: list[tuple[Path, dict]]):
    """A problem for each mistake tag no question carries in ``misconceptions``: nothing would teach it."""
    from .schema import Problem

    taught = {tag for _, data in banks if isinstance(data, dict) for q in data.get("questions") or []
              if isinstance(q, dict) and isinstance(q.get("misconceptions"), list) for tag in q["misconceptions"]}
    problems = []
    for folder in exercise_folders:
        try:
            exercise: Exercise = read_exercise(folder)
            found = mistakes.load(exercise.mistakes_file)
        except yamlio.YamlError:
            continue  # reported by validate_exercise
        for mistake in found:
            missing = [tag for tag in mistake.tags if tag not in taught]
            if not mistake.tags or missing:
                what = f"tags {', '.join(missing)} link" if missing else "no tags link it"
                problems.append(Problem(str(exercise.mistakes_file), mistake.line,
                                        f"mistake {mistake.id}: {what} to no question (add the tag to the "
                                        "'misconceptions' of a question that teaches it)"))
    return problems
