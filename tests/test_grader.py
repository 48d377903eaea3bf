"""The grader against hostile solutions, its JSON contract, and the exercise commands."""

import json
import os
import sqlite3
import time

import pytest

from conftest import COURSE, FIXTURES, run_quiz

from quizcli.content import read_exercise
from quizcli.errors import ExitCode
from quizcli.grading import banned_uses
from quizcli import runner
from quizcli.runner import run_mistake, run_suite

HOSTILE = FIXTURES / "hostile"
ECHO = read_exercise(COURSE / "exercises" / "echo")

EXPECTED = {
    "syntax_error": ("rejected", "syntax error on line 1"),
    "import_error": ("failed", "ModuleNotFoundError"),
    "sys_exit_at_import": ("failed", "sys.exit(0) while being imported"),
    "sys_exit_in_function": ("failed", "called sys.exit(0)"),
    "os_exit": ("crashed", "ended abruptly"),
    "infinite_loop": ("timeout", "did not finish within 4 s"),
    "segfault": ("crashed", "SIGSEGV"),
    "huge_memory": ("failed", "MemoryError"),
    "print_flood": ("failed", "double("),
    "delete_files": ("crashed", "ended abruptly"),
    "missing_function": ("failed", "has no attribute 'double'"),
    "banned_call": ("rejected", "math.prod (line 4)"),
    "banned_alias": ("rejected", "math.prod (line 1, 4)"),
    "skip_at_import": ("failed", "tried to skip or stop the tests"),
    "skip_in_function": ("failed", "skipped by code under test"),
    "pytest_exit": ("failed", "stopped during this test"),
    # tampering: never a pass (the threat model is in the README)
    "reads_reference": ("rejected", "rejected: tampering (the solution opened adam.py"),
    "forges_records": ("rejected", "not written by the grader"),
    "disarms_helpers": ("rejected", "the solution replaced quizcli.guard.replaced"),
    "imports_grader": ("rejected", "import quizcli.testing (line 1)"),
    "banned_by_identity": ("failed", "banned call math.prod"),
}


@pytest.fixture(scope="module")
def warm_server():
    server = runner.ForkServer(runner._server_env())
    yield server
    server.close()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_solution_never_passes_and_never_hangs(name):
    check_hostile(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_solution_forked_from_the_warm_server_neither(name, warm_server, monkeypatch):
    # grade --watch and selftest fork each grade from a process with torch imported: the same verdicts
    monkeypatch.setattr(runner, "_warm", warm_server)
    check_hostile(name)
    assert warm_server.alive, "a hostile solution took the warm server down"


def check_hostile(name):
    started = time.monotonic()
    # only the hanging solution needs the short limit; the others must end on their own, also on a busy machine
    result = run_suite(ECHO, HOSTILE / f"{name}.py", timeout=4 if name == "infinite_loop" else 30)
    verdict, text = EXPECTED[name]
    assert not result.passed
    assert result.verdict == verdict, (result.verdict, result.message)
    messages = " | ".join(t.message for t in result.tests) + " " + result.message
    assert text in messages, messages
    assert time.monotonic() - started < 45


def test_reference_passes_and_starter_fails_with_a_clear_message():
    good = run_suite(ECHO, COURSE / "solutions" / "echo.py")
    assert good.passed and good.verdict == "passed" and len(good.tests) == 6
    assert [t.outcome for t in good.tests].count("skipped") == 1  # declared by the suite: allowed
    assert "1 skipped on this machine" in good.message
    starter = run_suite(ECHO, ECHO.starter)
    assert not starter.passed
    assert {t.message for t in starter.tests if t.outcome != "skipped"} == {"not implemented yet (NotImplementedError)"}


def test_mistake_is_caught_with_what_came_back():
    result = run_mistake(ECHO, ECHO.mistakes[0])
    failed = [t for t in result.tests if t.outcome == "failed"]
    assert failed and "double([1]) returned []" in failed[0].message


def test_stray_child_processes_are_killed(tmp_path):
    pid_file = tmp_path / "child.pid"
    solution = tmp_path / "orphan.py"
    solution.write_text(
        "import os, time\n"
        f"if os.fork() == 0:\n    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n    time.sleep(1000)\n"
        "def double(xs):\n    return [2 * x for x in xs]\n")
    run_suite(ECHO, solution, timeout=20)
    pid = int(pid_file.read_text())
    time.sleep(0.2)
    try:
        state = open(f"/proc/{pid}/status").read()
        assert "State:\tZ" in state, "the forked child is still running"
    except FileNotFoundError:
        pass


@pytest.mark.parametrize("source, names", [
    ("import torch\nopt = torch.optim.Adam([])\n", ["torch.optim"]),
    ("from torch import optim\n", ["torch.optim"]),
    ("import torch.optim as o\n", ["torch.optim"]),
    ("import torch.nn.functional as F\nF.scaled_dot_product_attention(q, k, v)\n",
     ["torch.nn.functional.scaled_dot_product_attention"]),
    ("from torch.nn.functional import scaled_dot_product_attention as sdpa\n",
     ["torch.nn.functional.scaled_dot_product_attention"]),
    ("from torch import nn\nm = nn.MultiheadAttention(4, 2)\n", ["torch.nn.MultiheadAttention"]),
    ("import scipy.signal\n", ["scipy"]),
])
def test_banned_calls_are_found_through_aliases(source, names):
    banned = ["torch.optim", "torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention",
              "scipy"]
    assert sorted({name for _, name in banned_uses(source, banned)}) == names


def test_allowed_code_is_not_flagged():
    source = "import torch\nimport torch.nn.functional as F\nx = F.softmax(torch.ones(2), -1)\noptim = 3\n"
    assert banned_uses(source, ["torch.optim", "torch.nn.functional.scaled_dot_product_attention"]) == []


def test_grade_json_shape_and_exit_codes(course, isolated):
    assert run_quiz("exercise", "echo").returncode == 0
    starter = run_quiz("grade", "--json")
    assert starter.returncode == ExitCode.TESTS_FAILED
    payload = json.loads(starter.stdout)
    assert set(payload) >= {"exercise", "passed", "duration", "tests"}
    assert payload["exercise"] == "echo" and payload["passed"] is False
    for test in payload["tests"]:
        assert set(test) >= {"name", "outcome", "message", "duration"}
        assert test["outcome"] in ("passed", "failed", "error", "skipped", "timeout")
    good = run_quiz("grade", "echo", "--file", str(COURSE / "solutions" / "echo.py"), "--json")
    assert good.returncode == 0 and json.loads(good.stdout)["passed"] is True
    loop = run_quiz("grade", "--file", str(HOSTILE / "infinite_loop.py"), "--timeout", "2")
    assert loop.returncode == ExitCode.TIMEOUT and "TIMEOUT" in loop.stdout


def test_workspace_is_never_overwritten_without_force(course, isolated):
    run_quiz("exercise", "echo")
    work = isolated / "workspace" / "echo" / "solution.py"
    work.write_text("# my work\n")
    again = run_quiz("exercise", "echo")
    assert "your work is kept" in again.stdout and work.read_text() == "# my work\n"
    forced = run_quiz("exercise", "echo", "--force")
    assert forced.returncode == 0 and "previous file was saved" in forced.stdout
    assert work.read_text() == ECHO.starter.read_text()
    backups = list(work.parent.glob("solution.*.bak.py"))
    assert len(backups) == 1 and backups[0].read_text() == "# my work\n"


def test_hints_then_pass_rates_the_exercise_card_hard(course, isolated):
    run_quiz("exercise", "echo")
    first = run_quiz("hint")
    assert "hint 1/1" in first.stdout and "Multiply each item by two" in first.stdout
    (isolated / "workspace" / "echo" / "solution.py").write_text((COURSE / "solutions" / "echo.py").read_text())
    run_quiz("grade")
    db = sqlite3.connect(isolated / "home" / "quiz.db")
    assert db.execute("SELECT card_id, rating, correct, command FROM reviews").fetchall() == [
        ("exercise:echo", 2, 1, "exercise")]
    assert db.execute("SELECT slug, passed, tests_passed, tests_total FROM attempts").fetchall() == [("echo", 1, 5, 6)]
    catalogue = json.loads(run_quiz("exercise", "--json").stdout)
    assert catalogue[0]["slug"] == "echo" and catalogue[0]["status"] == "passed"


def test_solution_needs_confirmation(course):
    refused = run_quiz("solution", "echo")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    shown = run_quiz("solution", "echo", "--yes")
    assert shown.returncode == 0 and "return [2 * x for x in xs]" in shown.stdout


def test_grade_without_a_current_exercise_says_what_to_do(course):
    result = run_quiz("grade")
    assert result.returncode == 1 and "quiz exercise SLUG" in result.stderr


def test_selftest_on_the_fixture_course(course):
    result = run_quiz("selftest", "--json")
    assert result.returncode == 0, result.stdout
    rows = json.loads(result.stdout)["results"]
    assert {(r["case"], r["ok"]) for r in rows} == {("reference", True), ("starter", True),
                                                    ("mistake off_by_one", True)}


def test_watch_grades_again_on_save_and_stops_on_ctrl_c(course, isolated, tmp_path):
    import signal
    import subprocess
    import sys
    work = tmp_path / "solution.py"
    work.write_text(ECHO.starter.read_text())
    process = subprocess.Popen([sys.executable, "-m", "quizcli", "grade", "echo", "--file", str(work), "--watch"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "QUIZ_CONTENT": str(COURSE)})
    db = isolated / "home" / "quiz.db"

    def attempts():
        try:
            return sqlite3.connect(db).execute("SELECT passed FROM attempts ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []

    deadline = time.monotonic() + 60
    while len(attempts()) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.6)
    work.write_text((COURSE / "solutions" / "echo.py").read_text())
    while len(attempts()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert attempts() == [(0,), (1,)]
    assert "watching" in out and "PASSED" in out and "Traceback" not in err
    assert process.returncode == 0
