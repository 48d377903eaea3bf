"""Banks of your own: `quiz import` writes them to QUIZ_HOME/banks, and every command picks them up."""

import json

import pytest
import yaml

from conftest import run_quiz

NOTES = "# Adam\nMomentum plus RMS scaling.\n\n## Bias correction\nDivide by 1-β^t.\n\n# Empty\n"


@pytest.fixture
def imported(tmp_path, course, isolated):
    notes = tmp_path / "my-notes.md"
    notes.write_text(NOTES)
    result = run_quiz("import", str(notes), "--topic", "my-adam")
    assert result.returncode == 0, result.stderr
    return isolated / "home" / "banks" / "my-adam.yaml", notes


def test_an_imported_bank_is_english_only_cites_its_notes_and_validates(imported):
    bank = yaml.safe_load(imported[0].read_text())
    assert bank["languages"] == ["en"] and bank["notes"] == {"file": "my-notes.md",
                                                              "sections": ["Adam", "Bias correction"]}
    assert all(set(q["prompt"]) == {"en"} and set(q["answer"]) == {"en"} for q in bank["questions"])
    alone = run_quiz("validate", str(imported[0]))
    assert alone.returncode == 0 and alone.stdout.strip().endswith("2 questions, 0 exercises: ok"), alone.stdout
    everything = json.loads(run_quiz("validate", "--json").stdout)  # the fixture course and the user's banks
    assert everything["questions"] == 7 + 2
    assert not [e for e in everything["errors"] if "my-adam" in e["file"]]


def test_topics_ask_review_and_export_pick_it_up(imported, tmp_path):
    rows = {row["topic"]: row for row in json.loads(run_quiz("topics", "--json").stdout)}
    assert rows["my-adam"]["questions"] == 2 and rows["my-adam"]["languages"] == ["en"]
    assert "(en only)" in run_quiz("topics").stdout
    asked = run_quiz("ask", "--topic", "my-adam", "-n", "1", "--lang", "zh", stdin="momentum\ngood\n")
    assert asked.returncode == 0 and "Explain:" in asked.stdout
    review = run_quiz("review", "--topic", "my-adam", "--new", "5", stdin="x\ngood\nx\ngood\n")
    assert review.returncode == 0 and "Explain:" in review.stdout
    out = tmp_path / "cards.json"
    assert run_quiz("export", str(out)).returncode == 0
    assert sum(row["topic"] == "my-adam" for row in json.loads(out.read_text())) == 2


def test_a_second_import_never_overwrites_without_force_and_keeps_a_backup(imported):
    path, notes = imported
    path.write_text(path.read_text().replace("Explain: Adam", "Explain: Adam (my edit)"))
    refused = run_quiz("import", str(notes), "--topic", "my-adam")
    assert refused.returncode == 1 and "--force" in refused.stderr and "my edit" in path.read_text()
    forced = run_quiz("import", str(notes), "--topic", "my-adam", "--force")
    assert forced.returncode == 0, forced.stderr
    backups = list(path.parent.glob("my-adam.yaml.*.bak"))
    assert len(backups) == 1 and "my edit" in backups[0].read_text() and "my edit" not in path.read_text()


def test_a_built_in_topic_name_is_refused(tmp_path, course):
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    result = run_quiz("import", str(notes), "--topic", "transformer")
    assert result.returncode == 1 and "is a built-in topic" in result.stderr


def test_a_user_bank_that_clashes_is_ignored_and_named_by_validate(imported):
    path, _ = imported
    clash = path.with_name("transformer.yaml")
    clash.write_text(path.read_text().replace("my-adam", "transformer"))
    rows = json.loads(run_quiz("topics", "--json").stdout)
    assert [row["questions"] for row in rows if row["topic"] == "transformer"] == [6]  # the built-in one
    errors = json.loads(run_quiz("validate", "--json").stdout)["errors"]
    assert any(e["file"] == str(clash) and "'transformer' is a built-in topic" in e["message"] for e in errors)


def test_validate_holds_a_user_bank_to_its_own_notes_and_languages(imported):
    path, _ = imported
    bank = yaml.safe_load(path.read_text())
    bank["questions"][0]["source"]["section"] = "Not in my notes"
    del bank["languages"]  # now Chinese is required
    path.write_text(yaml.safe_dump(bank, allow_unicode=True, sort_keys=False))
    result = run_quiz("validate", str(path), "--json")
    messages = " | ".join(e["message"] for e in json.loads(result.stdout)["errors"])
    assert result.returncode == 1
    assert "unknown source section 'Not in my notes'" in messages and "'prompt.zh' is missing" in messages
