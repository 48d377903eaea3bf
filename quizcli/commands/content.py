"""``quiz validate``, ``quiz import`` and ``quiz export``."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import yaml
from rich.markup import escape

from .. import environment, render
from .. import export as exporting
from ..content import builtin_bank_paths, exercise_folders, load_banks, user_bank_paths
from ..errors import ExitCode, QuizError
from ..schema import TOPICS, Problem, validate_paths
from ..store import Store


def _targets(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split command-line paths into bank files and exercise folders (folders are searched)."""
    if not paths:  # built-in and user banks (a clashing user bank too: validate names the clash)
        return [*builtin_bank_paths().values(), *user_bank_paths().values()], list(exercise_folders().values())
    banks, exercises = [], []
    for path in paths:
        if not path.exists():
            raise QuizError(f"{path}: no such file or folder")
        if path.is_file():
            (exercises if path.name == "exercise.yaml" else banks).append(path.parent if path.name == "exercise.yaml" else path)
        elif (path / "exercise.yaml").is_file():
            exercises.append(path)
        else:
            banks += sorted(path.rglob("*.yaml"))
            banks = [b for b in banks if b.name != "exercise.yaml"]
            exercises += sorted(p.parent for p in path.rglob("exercise.yaml"))
    return banks, exercises


def validate(paths: list[Path], as_json: bool, coverage: bool) -> int:
    banks, exercises = _targets(paths)
    report = validate_paths(banks, exercises)
    builtin, yours = builtin_bank_paths(), environment.user_banks().resolve()
    report.errors += [Problem(str(path), 1, f"'{path.stem}' is a built-in topic: this bank of yours is ignored; "
                                            "rename it (file and topic)")
                      for path in banks if path.stem in builtin and path.resolve().parent == yours]
    payload = report.to_json()
    payload["warnings"] = _reused_ids(banks)
    if coverage:
        payload["uncovered"] = report.uncovered()
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for problem in report.errors:
            render.console.print(str(problem), markup=False, highlight=False)
        for warning in payload["warnings"]:
            render.console.print(f"{warning['file']}: warning: {warning['message']}", markup=False, highlight=False)
        for entry in payload.get("uncovered", []):
            render.console.print(f"no question: {entry['note']} § {entry['section']}", markup=False)
        status = "[green]ok[/]" if not report.errors else f"[red]{len(report.errors)} problem(s)[/]"
        render.console.print(f"{report.questions} questions, {report.exercises} exercises: {status}")
    return ExitCode.ERROR if report.errors else ExitCode.OK


def _reused_ids(banks: list[Path]) -> list[dict]:
    """Ids whose prompt and answer both differ from what you studied under that id: a different question
    reusing it would inherit the old card's history. Needs your database; warnings only."""
    from .. import edits
    from ..content import load_bank

    if not (environment.home() / "quiz.db").exists():
        return []
    try:
        stored = Store(read_only_ok=True).content_hashes()
    except QuizError:  # a database this quiz cannot read as it is: nothing to compare with
        return []
    warnings = []
    for path in banks:
        try:
            questions = {q["id"]: q for q in load_bank(path).questions if isinstance(q, dict) and "id" in q}
        except (QuizError, TypeError, AttributeError):  # a broken bank: its errors are reported above
            continue
        warnings += [{"file": str(path), "id": qid,
                      "message": f"id {qid!r} now names a different question (prompt and answer both changed): "
                                 "give the new question a new id, or its card keeps the old one's history"}
                     for qid in edits.reused_ids(stored, edits.hashes(questions))]
    return warnings


def import_notes(notes: Path, topic: str, out: Path | None, force: bool) -> None:
    """Write a user bank from a Markdown notes file; ask, review, topics, validate and export pick it up."""
    from .. import importing

    if not notes.is_file():
        raise QuizError(f"{notes}: no such file")
    if not importing.TOPIC.match(topic):
        raise QuizError(f"{topic!r}: a topic name is lowercase letters and digits, words joined by '-'")
    if topic in builtin_bank_paths() or topic in TOPICS:
        raise QuizError(f"{topic!r} is a built-in topic: pick a name of your own (e.g. my-{topic})")
    parts = importing.sections(notes.read_text(encoding="utf-8", errors="replace"))
    if not parts:
        raise QuizError(f"{notes}: no Markdown section (# heading followed by text) found")
    target = environment.output_file(out) if out else environment.user_banks() / f"{topic}.yaml"
    backup = _keep_previous(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = importing.bank(topic, notes.name, parts)
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    render.console.print(f"wrote {len(parts)} open questions (English only) to {escape(str(target))}")
    if backup:
        render.console.print(f"[yellow]the previous file was saved as {escape(str(backup))}[/]")
    if target.parent == environment.user_banks():
        render.console.print(f"[dim]edit it, then: quiz validate {escape(str(target))} · quiz ask --topic {topic}[/]")
    else:
        render.console.print(f"[dim]quiz uses the banks in {escape(str(environment.user_banks()))}: "
                             "move it there to be asked its questions[/]")


def _keep_previous(target: Path, force: bool) -> Path | None:
    """Never overwrite a bank the user may have edited, unless ``force``; then keep a copy beside it."""
    if not target.exists():
        return None
    if not force:
        raise QuizError(f"{target} exists (with your edits?): pass --force to replace it (a backup is kept)")
    backup = target.with_name(f"{target.name}.{environment.now().strftime('%Y%m%d-%H%M%S')}.bak")
    shutil.copy2(target, backup)
    return backup


FORMATS = ("json", "anki", "apkg")


def export(out: Path, format_: str | None, lang: str | None) -> None:
    """JSON (everything to re-render a card, plus your card state), an Anki TSV, or an Anki package (.apkg)."""
    format_ = format_ or ("apkg" if out.suffix == ".apkg" else "anki" if out.suffix in (".tsv", ".txt") else "json")
    if format_ not in FORMATS:
        raise QuizError(f"unknown format {format_!r} (valid: {', '.join(FORMATS)})")
    environment.output_file(out)
    store = Store(read_only_ok=True)
    cards = {card.card_id: json.loads(card.fsrs_card) for card in store.cards()}
    rows = [exporting.row(bank, q, cards.get(q["id"])) for bank in load_banks() for q in bank.questions]
    if format_ == "json":
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    elif format_ == "apkg":
        from .. import anki
        anki.write_package(rows, out, lang)
    else:
        _write_tsv(rows, out, lang)
    render.console.print(f"exported {len(rows)} questions to {escape(str(out))} ({format_})")


def _write_tsv(rows: list[dict], out: Path, lang: str | None) -> None:
    """Anki's text import: front and back as HTML, tags in the third column."""
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write("#separator:tab\n#html:true\n#tags column:3\n")
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        for data in rows:
            main, _ = exporting.languages(data, lang or "en")
            writer.writerow([exporting.front_html(data, main), exporting.back_html(data, main),
                             " ".join(exporting.anki_tags(data))])
