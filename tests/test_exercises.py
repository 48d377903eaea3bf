"""Every exercise in the catalogue: the reference and the independently written correct solutions in
tests/solutions/<slug>/ pass its hidden suite; the starter and the mutant of every classic mistake fail it.

Parametrised over the discovered catalogue, so a new exercise is covered without new test code.
"""

from pathlib import Path

import pytest

from quizcli.content import load_exercises
from quizcli.exercises import missing_requirements
from quizcli.runner import run_mistake, run_suite, warm_start

EXERCISES = load_exercises()
ALTERNATIVES = Path(__file__).parent / "solutions"


def alternatives(exercise) -> list[Path]:
    return sorted((ALTERNATIVES / exercise.slug).glob("*.py"))


CASES = [pytest.param(e, lambda e=e: run_suite(e, e.solution), True, id=f"{e.slug}-reference") for e in EXERCISES]
CASES += [pytest.param(e, lambda e=e, p=p: run_suite(e, p), True, id=f"{e.slug}-correct-{p.stem}")
          for e in EXERCISES for p in alternatives(e)]
CASES += [pytest.param(e, lambda e=e: run_suite(e, e.starter), False, id=f"{e.slug}-starter") for e in EXERCISES]
CASES += [pytest.param(e, lambda e=e, m=m: run_mistake(e, m), False, id=f"{e.slug}-mistake-{m.id}")
          for e in EXERCISES for m in e.mistakes]


@pytest.fixture(scope="module", autouse=True)
def warm():
    """Hundreds of grades: fork each from one process that has imported torch and pytest (as selftest does)."""
    with warm_start():
        yield


def test_the_catalogue_is_not_empty():
    assert len(EXERCISES) >= 6


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_each_exercise_has_enough_mistakes(exercise):
    assert len(exercise.mistakes) >= 3, f"{exercise.slug} has {len(exercise.mistakes)} classic mistakes"


@pytest.mark.parametrize("exercise, grade, should_pass", CASES)
def test_suite_separates_right_from_wrong(exercise, grade, should_pass):
    missing = missing_requirements(exercise.requires)
    if missing:
        pytest.skip(f"this machine lacks {', '.join(missing)}")
    result = grade()
    report = "\n".join(f"{t.outcome} {t.name}: {t.message}" for t in result.tests) + "\n" + result.output
    if should_pass:
        assert result.passed, f"a correct solution of {exercise.slug} fails its suite:\n{report}"
    else:
        assert not result.passed, f"a wrong solution of {exercise.slug} passes the suite"
        assert result.verdict in ("failed", "rejected"), f"{result.verdict} ({result.message})\n{report}"
