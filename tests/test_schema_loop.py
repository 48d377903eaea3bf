"""Validation of the learning loop's links: a classic mistake whose tags no question carries is a problem."""

import shutil

from conftest import FIXTURES

from quizcli.schema import validate_paths

LOOP = FIXTURES / "loop"


def validate(root):
    folders = sorted(p for p in (root / "exercises").iterdir() if p.is_dir())
    return validate_paths(sorted((root / "questions").glob("*.yaml")), folders)


def test_linked_mistakes_pass_and_an_unlinked_tag_is_named(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(LOOP, root)
    assert validate(root).errors == []
    bank = root / "questions" / "python.yaml"
    bank.write_text(bank.read_text().replace("    misconceptions: [off-by-one]\n", ""))
    problems = validate(root).errors
    assert sorted((p.file.split("/")[-2], p.line) for p in problems) == [("double", 2), ("triple", 1)]
    assert all("off-by-one link to no question" in p.message for p in problems)


def test_links_are_only_checked_for_the_whole_catalogue(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(LOOP, root)
    assert validate_paths([], [root / "exercises" / "double"]).errors == []  # one folder alone: no banks to link to
