"""Exports: a real Anki package (zip + SQLite) with complete cards and stable GUIDs; complete TSV and JSON."""

import collections
import json
import re
import sqlite3
import zipfile

import pytest

from quizcli.content import load_banks

from conftest import run_quiz

genanki = pytest.importorskip("genanki")


def notes_of(apkg, tmp_path):
    with zipfile.ZipFile(apkg) as archive:
        archive.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        return db.execute("select guid, tags, flds from notes").fetchall()


@pytest.fixture(scope="module")
def banks():
    return load_banks()


def test_apkg_has_every_question_complete(tmp_path, banks):
    out = tmp_path / "deck.apkg"
    result = run_quiz("export", str(out))
    assert result.returncode == 0, result.stderr
    notes = notes_of(out, tmp_path)
    per_topic = collections.Counter(next(t for t in tags.split() if t.count("::") == 1 and not re.search(
        r"::(d\d|mcq|multi|numeric|cloze|order|open)$", t)).split("::")[1] for _, tags, _ in notes)
    assert per_topic == {bank.topic: len(bank.questions) for bank in banks}
    questions = {q["id"]: q for bank in banks for q in bank.questions}
    for guid, tags, fields in notes:
        qid, _, front, back, *_ = fields.split("\x1f")
        q = questions[qid]
        assert guid == genanki.guid_for(qid), f"{qid}: the GUID must come from the question id"
        for name in q.get("params") or {}:
            assert "{" + name + "}" not in front + back, f"{qid}: placeholder {{{name}}} left in the card"
        if q["type"] in ("mcq", "multi"):
            assert front.count("<li>") >= len(q["choices"]), f"{qid}: the front must list its choices"
        assert f"quiz::d{q['difficulty']}" in tags.split()


def test_reexport_keeps_guids_and_the_main_language(tmp_path):
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    assert run_quiz("export", str(first)).returncode == 0
    assert run_quiz("export", str(second), "--format", "apkg", "--lang", "zh").returncode == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = notes_of(first, tmp_path / "a"), notes_of(second, tmp_path / "b")
    assert sorted(g for g, _, _ in a) == sorted(g for g, _, _ in b)
    zh_fronts = [f.split("\x1f")[2] for _, _, f in b]
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", front)) for front in zh_fronts) > 0.9 * len(zh_fronts)


def test_tsv_lists_choices_and_the_correct_answer(tmp_path, course):
    out = tmp_path / "cards.tsv"
    assert run_quiz("export", str(out), "--format", "anki").returncode == 0
    lines = out.read_text().splitlines()
    assert lines[:3] == ["#separator:tab", "#html:true", "#tags column:3"]
    mcq = next(line for line in lines if "quiz::mcq" in line)
    front, back, tags = mcq.split("\t")
    assert "<ol type=a class=choices>" in front and back.startswith("<div class=correct>")
    assert "{" not in front, "a template was exported with its placeholders"


def test_json_has_what_a_tool_needs_to_render_a_card(tmp_path, course):
    out = tmp_path / "cards.json"
    assert run_quiz("export", str(out)).returncode == 0
    rows = {row["id"]: row for row in json.loads(out.read_text())}
    numeric = next(row for row in rows.values() if row["type"] == "numeric")
    assert {"value", "unit", "tolerance", "params", "card"} <= set(numeric)
    mcq = next(row for row in rows.values() if row["type"] == "mcq")
    assert mcq["en"]["choices"] and mcq["correct_letters"] and mcq["zh"]["prompt"]


def test_apkg_without_genanki_says_how_to_get_it(tmp_path, course):
    out = tmp_path / "deck.apkg"
    result = run_quiz("export", str(out), env={"PYTHONPATH": str(tmp_path)}, stdin="")
    assert result.returncode == 0  # genanki is installed here; the message path is covered below
    (tmp_path / "genanki.py").write_text("raise ImportError('no genanki here')\n")
    result = run_quiz("export", str(tmp_path / "other.apkg"), env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1 and "genanki" in result.stderr and "Traceback" not in result.stderr
