"""Every exercise in the catalogue: the reference passes its hidden suite, the starter and every mutant fail it.

Parametrised over the discovered catalogue, so a new exercise is covered without new test code.
"""

import pytest

from quizcli.content import load_exercises
from quizcli.exercises import missing_requirements
from quizcli.runner import run_suite

EXERCISES = load_exercises()
CASES = [pytest.param(e, e.solution, True, id=f"{e.slug}-reference") for e in EXERCISES]
CASES += [pytest.param(e, e.starter, False, id=f"{e.slug}-starter") for e in EXERCISES]
CASES += [pytest.param(e, m, False, id=f"{e.slug}-mutant-{m.stem}") for e in EXERCISES for m in e.mutants]


def test_the_catalogue_is_not_empty():
    assert len(EXERCISES) >= 6


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_each_exercise_has_enough_mutants(exercise):
    assert len(exercise.mutants) >= 3, f"{exercise.slug} has {len(exercise.mutants)} mutants"


@pytest.mark.parametrize("exercise, path, should_pass", CASES)
def test_suite_separates_right_from_wrong(exercise, path, should_pass):
    missing = missing_requirements(exercise.requires)
    if missing:
        pytest.skip(f"this machine lacks {', '.join(missing)}")
    result = run_suite(exercise, path)
    report = "\n".join(f"{t.outcome} {t.name}: {t.message}" for t in result.tests) + "\n" + result.output
    if should_pass:
        assert result.passed, f"the reference of {exercise.slug} fails its suite:\n{report}"
    else:
        assert not result.passed, f"{path.name} of {exercise.slug} passes the suite but should fail"
        assert result.verdict in ("failed", "rejected"), f"{path.name}: {result.verdict} ({result.message})\n{report}"
