"""mistakes.yaml: patches of the reference build the mutants; a patch that no longer applies is named."""

import shutil

import pytest

from quizcli import exercise_schema
from quizcli.content import read_exercise
from quizcli.mistakes import Edit, Mistake, PatchError, apply_patch

SOURCE = '''def f(xs):
    total = 0
    for x in xs:
        total += x
    return total / len(xs)
'''


def mistake(*edits):
    return Mistake("m", {"en": "m", "zh": "m"}, (), tuple(edits))


def test_one_line_edit_replaces_inside_a_line():
    assert "return total\n" in apply_patch(SOURCE, mistake(Edit("total / len(xs)", "total")))


def test_count_must_match_exactly():
    assert apply_patch(SOURCE, mistake(Edit("total", "s", count=3))).count("s +=") == 1
    with pytest.raises(PatchError, match="found it 3 times"):
        apply_patch(SOURCE, mistake(Edit("total", "s")))


def test_a_block_matches_at_any_indentation_and_keeps_it():
    block = Edit("for x in xs:\n    total += x", "for x in xs[1:]:\n    total += x")
    assert "    for x in xs[1:]:\n        total += x\n" in apply_patch(SOURCE, mistake(block))


def test_a_patch_that_no_longer_applies_names_the_mistake():
    with pytest.raises(PatchError, match="mistake m: edit 1 .* found it 0 times"):
        apply_patch(SOURCE, mistake(Edit("total * 2", "total")))


def test_validate_names_a_stale_patch(tmp_path):
    course = tmp_path / "course"
    shutil.copytree("tests/fixtures/course", course)
    folder = course / "exercises" / "echo"
    text = (folder / "mistakes.yaml").read_text().replace("return [2 * x for x in xs]", "return [3 * x for x in xs]")
    (folder / "mistakes.yaml").write_text(text)
    problems = exercise_schema.validate_mistakes(read_exercise(folder))
    assert [p.line for p in problems] == [2] and "off_by_one" in problems[0].message


def test_validate_rejects_unknown_fields_and_bad_ids(tmp_path):
    course = tmp_path / "course"
    shutil.copytree("tests/fixtures/course", course)
    folder = course / "exercises" / "echo"
    (folder / "mistakes.yaml").write_text(
        "- id: Bad-Id\n  label: {en: x, zh: TODO-zh}\n  colour: red\n  patch: [{old: 'return', new: 'return'}]\n")
    messages = [p.message for p in exercise_schema.validate_mistakes(read_exercise(folder))]
    assert any("unknown field 'colour'" in m for m in messages) and any("'id' must be" in m for m in messages)
    assert any("placeholder (TODO)" in m for m in messages)


def test_a_patch_that_breaks_the_syntax_is_a_failure_not_a_caught_mutant(tmp_path):
    course = tmp_path / "course"
    shutil.copytree("tests/fixtures/course", course)
    folder = course / "exercises" / "echo"
    (folder / "mistakes.yaml").write_text(
        "- id: broken\n  label: {en: x, zh: y}\n  patch: [{old: 'return [2 * x for x in xs]', new: 'return [2 * x for'}]\n")
    exercise = read_exercise(folder)
    with pytest.raises(PatchError, match="does not parse"):
        exercise.mutant_source(exercise.mistakes[0])
    assert "does not parse" in exercise_schema.validate_mistakes(exercise)[0].message
