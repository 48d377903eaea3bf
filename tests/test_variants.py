"""Variants: the reference passes every variant of every exercise, and the independently written correct solutions
(tests/solutions/<slug>/) pass the first one, with the variant's parameters (the core run is
tests/test_exercises.py). Parametrised over the discovered catalogue."""

from pathlib import Path

import pytest

from quizcli.content import load_exercises
from quizcli.exercises import missing_requirements
from quizcli.runner import run_suite, warm_start

ALTERNATIVES = Path(__file__).parent / "solutions"


def solutions(exercise, index: int) -> list[Path]:
    """The reference on every variant; the alternatives on the first one only (each run costs seconds)."""
    return [exercise.solution, *(sorted((ALTERNATIVES / exercise.slug).glob("*.py")) if index == 0 else [])]


CASES = [pytest.param(e, v, path, id=f"{e.slug}-{v['id']}-{path.stem}") for e in load_exercises()
         for index, v in enumerate(e.variants) for path in solutions(e, index)]


@pytest.fixture(scope="module", autouse=True)
def warm():
    with warm_start():
        yield


def test_at_least_ten_exercises_have_variants():
    assert len({case.values[0].slug for case in CASES}) >= 10


@pytest.mark.parametrize("exercise, variant, path", CASES)
def test_correct_solutions_pass_every_variant(exercise, variant, path):
    missing = missing_requirements(exercise.requires)
    if missing:
        pytest.skip(f"this machine lacks {', '.join(missing)}")
    result = run_suite(exercise, path, variant=variant["params"])
    report = "\n".join(f"{t.outcome} {t.name}: {t.message}" for t in result.tests if t.outcome != "passed")
    assert result.passed, f"{path.name}, correct, fails variant {variant['id']} of {exercise.slug}:\n{report}"
