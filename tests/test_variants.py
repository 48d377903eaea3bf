"""Every variant of every exercise: the reference passes its suite with the variant's parameters (the core run
is tests/test_exercises.py). Parametrised over the discovered catalogue."""

import pytest

from quizcli.content import load_exercises
from quizcli.exercises import missing_requirements
from quizcli.runner import run_suite, warm_start

CASES = [pytest.param(e, v, id=f"{e.slug}-{v['id']}") for e in load_exercises() for v in e.variants]


@pytest.fixture(scope="module", autouse=True)
def warm():
    with warm_start():
        yield


def test_at_least_ten_exercises_have_variants():
    assert len({exercise.slug for exercise, _ in (case.values for case in CASES)}) >= 10


@pytest.mark.parametrize("exercise, variant", CASES)
def test_reference_passes_every_variant(exercise, variant):
    missing = missing_requirements(exercise.requires)
    if missing:
        pytest.skip(f"this machine lacks {', '.join(missing)}")
    result = run_suite(exercise, exercise.solution, variant=variant["params"])
    report = "\n".join(f"{t.outcome} {t.name}: {t.message}" for t in result.tests if t.outcome != "passed")
    assert result.passed, f"the reference of {exercise.slug} fails variant {variant['id']}:\n{report}"
