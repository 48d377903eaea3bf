"""What `quiz grade` shows: live lines while the suite runs, a summary that keeps the first failure on screen."""

import os
import subprocess
import sys

from quizcli import render
from quizcli.commands.grade_view import KNOWN_MISTAKE, LiveGrade, show_result
from quizcli.errors import ExitCode
from quizcli import grading
from quizcli.grading import GradeResult

HANGS_ON_THE_THIRD = "def double(xs):\n    while len(xs) == 3:\n        pass\n    return [2 * x for x in xs]\n"


def failing(count: int) -> GradeResult:
    tests = [grading.TestResult(f"test_{i}", "failed", f"values differ at {i}\n  detail {i}\n  {KNOWN_MISTAKE} summed, not averaged")
             for i in range(count)]
    return GradeResult("ddp_step", False, 3.0, [grading.TestResult("test_ok", "passed"), *tests], "failed", "1 of 6 passed")


def shown(result: GradeResult, **options) -> str:
    with render.console.capture() as captured:
        show_result(result, **options)
    return captured.get()


def test_the_first_failure_in_full_the_others_in_a_line_each_and_a_repeated_mistake_once():
    text = shown(failing(5), streamed=True)
    assert "detail 0" in text and "detail 1" not in text
    assert "4 more failing" in text and "test_4: values differ at 4" in text
    assert text.count("summed, not averaged") == 1 and "known mistake (5 tests)" in text
    assert "test_ok" not in text  # already shown live
    assert text.strip().splitlines()[-1].startswith("FAILED: 1 of 6 passed")


def test_verbose_shows_every_failure_in_full():
    text = shown(failing(5), verbose=True, streamed=True)
    assert all(f"detail {i}" in text for i in range(5)) and "more failing" not in text
    assert text.count("summed, not averaged") == 1


def test_tests_the_run_never_reached_are_named_after_a_live_run():
    result = failing(1)
    result.tests.append(grading.TestResult("test_late", "skipped", "not run: the run had already stopped"))
    assert "not run after that: test_late" in shown(result, streamed=True)


def test_the_output_panel_appears_only_with_something_to_read():
    result = failing(1)
    result.verdict, result.output = "crashed", "...."
    assert "output (last lines)" not in shown(result, streamed=True)
    result.output = "....\nSegmentation fault"
    assert "output (last lines)" in shown(result, streamed=True)


def test_without_live_lines_every_test_is_listed():
    assert "test_ok" in shown(failing(1), streamed=False)


def test_the_status_line_counts_tests_against_the_limit():
    live = LiveGrade(limit=60)
    assert "starting the test process" in str(live.__rich__().text)
    live.on_record({"kind": "collected", "nodeids": ["s::a", "s::b", "s::c"]})
    with render.console.capture() as captured:
        live.on_record({"kind": "test", "nodeid": "s::a", "when": "call", "outcome": "passed", "duration": 0.2})
    assert "✓ a" in captured.get()
    assert str(live.__rich__().text).startswith("1/3 tests · ") and "of 60 s" in str(live.__rich__().text)


def test_results_appear_while_the_suite_runs_and_a_time_out_names_the_hung_test(tmp_path, course):
    solution = tmp_path / "solution.py"
    solution.write_text(HANGS_ON_THE_THIRD)
    process = subprocess.Popen([sys.executable, "-m", "quizcli", "grade", "echo", "--file", str(solution),
                                "--timeout", "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200"})
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "✓ test_doubles_every_item[xs1]" in line:
            assert process.poll() is None, "the line came only after the run ended"
            break
    else:
        raise AssertionError("".join(lines) + process.stderr.read())
    rest = process.communicate(timeout=120)[0]
    assert process.returncode == ExitCode.TIMEOUT
    last = next(line for line in rest.splitlines() if line.startswith("TIMEOUT"))  # the result's last line
    assert last.startswith("TIMEOUT: test_doubles_every_item[xs2] did not finish (it ran "), last
    assert float(last.split("it ran ")[1].split(" s")[0]) > 0.1, last

