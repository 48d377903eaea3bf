"""``quiz validate``, ``quiz import`` and ``quiz export``."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import yaml

from .. import environment, render
from ..content import bank_paths, exercise_folders, load_banks, text
from ..errors import ExitCode, QuizError
from ..schema import TOPICS, validate_paths
from ..store import Store


def _targets(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split command-line paths into bank files and exercise folders (folders are searched)."""
    if not paths:
        return list(bank_paths().values()), list(exercise_folders().values())
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
    payload = report.to_json()
    if coverage:
        payload["uncovered"] = report.uncovered()
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for problem in report.errors:
            render.console.print(str(problem), markup=False, highlight=False)
        for entry in payload.get("uncovered", []):
            render.console.print(f"no question: {entry['note']} § {entry['section']}", markup=False)
        status = "[green]ok[/]" if not report.errors else f"[red]{len(report.errors)} problem(s)[/]"
        render.console.print(f"{report.questions} questions, {report.exercises} exercises: {status}")
    return ExitCode.ERROR if report.errors else ExitCode.OK


HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def import_notes(notes: Path, topic: str, out: Path | None) -> None:
    """One open question per Markdown section; the section's text is the model answer to edit."""
    if not notes.is_file():
        raise QuizError(f"{notes}: no such file")
    if not re.match(r"^[a-z0-9-]+$", topic):
        raise QuizError("a topic name is lowercase letters, digits and '-'")
    sections: list[tuple[str, list[str]]] = []
    for line in notes.read_text(encoding="utf-8").splitlines():
        match = HEADING.match(line)
        if match:
            sections.append((match.group(2), []))
        elif sections and line.strip():
            sections[-1][1].append(line.strip())
    sections = [(title, body) for title, body in sections if body]
    if not sections:
        raise QuizError(f"{notes}: no Markdown section (# heading followed by text) found")
    questions = []
    for index, (title, body) in enumerate(sections, start=1):
        answer = "\n".join(body)
        questions.append({
            "id": f"{topic}.import-{index}", "type": "open", "difficulty": 2, "tags": ["imported"],
            "source": {"note": notes.name, "section": title},
            "prompt": {"en": f"Explain: {title}", "zh": f"请解释：{title}"},
            "answer": {"en": answer, "zh": answer},
            "key_points": [{"en": line, "zh": line} for line in body[:5]],
        })
    bank = {"topic": topic, "title": {"en": topic, "zh": topic}, "questions": questions}
    target = environment.output_file(out) if out else environment.workspace() / "questions" / f"{topic}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(bank, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    render.console.print(f"wrote {len(questions)} open questions to {target}")
    if topic not in TOPICS:
        render.console.print("[dim]edit the text, then copy it into questions/ and run `quiz validate`; "
                             "sources outside notes/sections.yaml are reported there[/]")


def _html(value: str) -> str:
    return html.escape(value).replace("\n", "<br>")


def export(out: Path, format_: str, lang: str | None) -> None:
    if format_ not in ("anki", "json"):
        raise QuizError(f"unknown format {format_!r} (valid: anki, json)")
    environment.output_file(out)
    store = Store(read_only_ok=True)
    cards = {card.card_id: card for card in store.cards()}
    lang = lang or "en"
    rows = []
    for bank in load_banks():
        for q in bank.questions:
            card = cards.get(q["id"])
            rows.append({"id": q["id"], "topic": bank.topic, "type": q["type"],
                         "prompt": text(q["prompt"], lang), "answer": text(q["answer"], lang),
                         "explanation": text(q.get("explanation"), lang),
                         "card": json.loads(card.fsrs_card) if card else None})
    if format_ == "json":
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.write("#separator:tab\n#html:true\n#tags column:3\n")
            writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
            for row in rows:
                back = row["answer"] + (f"\n\n{row['explanation']}" if row["explanation"] else "")
                writer.writerow([_html(row["prompt"]), _html(back), f"quiz::{row['topic']} {row['type']}"])
    render.console.print(f"exported {len(rows)} questions to {out} ({format_})")
