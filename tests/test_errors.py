"""Bad environments and bad paths: exit 1 and one line on stderr, never a traceback or destructive advice."""

import shutil
import subprocess
import sys

import pytest

from conftest import run_quiz


def _file(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return str(path)


def _folder(tmp_path):
    return str(tmp_path)


def _missing_folder(tmp_path):
    return str(tmp_path / "no" / "such" / "out.json")


def _notes(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Adam\nMomentum plus RMS scaling.\n")
    return str(path)


def _solution_folder(tmp_path):
    (tmp_path / "workspace" / "echo" / "solution.py").mkdir(parents=True)
    return ""


CASES = {
    "home is a file: topics": ({"QUIZ_HOME": _file}, ["topics"], "is a file, not a folder"),
    "home is a file: stats": ({"QUIZ_HOME": _file}, ["stats"], "is a file, not a folder"),
    "home is a file: ask": ({"QUIZ_HOME": _file}, ["ask", "-n", "1"], "is a file, not a folder"),
    "home is a file: config": ({"QUIZ_HOME": _file}, ["config", "new_per_day", "5"], "is a file, not a folder"),
    "home is a file: doctor": ({"QUIZ_HOME": _file}, ["doctor"], "data folder (QUIZ_HOME)"),
    "workspace is a file: exercise": ({"QUIZ_WORKSPACE": _file}, ["exercise", "echo"], "is a file, not a folder"),
    "workspace is a file: doctor": ({"QUIZ_WORKSPACE": _file}, ["doctor"], "workspace (QUIZ_WORKSPACE)"),
    "solution.py is a folder": ({"": _solution_folder}, ["exercise", "echo", "--force"], "is a folder, not your"),
    "export into a folder": ({"OUT": _folder}, ["export", "{OUT}"], "is a folder: give a file name"),
    "export into a missing folder": ({"OUT": _missing_folder}, ["export", "{OUT}"], "does not exist: create it"),
    "import --out a folder": ({"OUT": _folder, "NOTES": _notes}, ["import", "{NOTES}", "--topic", "my-x", "--out",
                                                                 "{OUT}"], "is a folder: give a file name"),
    "import notes missing": ({"OUT": _missing_folder}, ["import", "{OUT}", "--topic", "my-x"], "no such file"),
    "grade --file a folder": ({"OUT": _folder}, ["grade", "echo", "--file", "{OUT}"], "is a folder: pass the"),
    "grade --file missing": ({"OUT": _missing_folder}, ["grade", "echo", "--file", "{OUT}"], "no such file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_environment_or_path_is_one_line_exit_1(case, tmp_path, course, monkeypatch):
    makers, args, expected = CASES[case]
    values = {name: make(tmp_path) for name, make in makers.items()}
    env = {name: value for name, value in values.items() if name.startswith("QUIZ_")}
    result = run_quiz(*[a.format(**values) for a in args], env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr


def _read_only(command: list[str], home) -> list[str]:
    """Run ``command`` with ``home`` mounted read-only in a private mount namespace (root + unshare)."""
    return ["unshare", "-m", "sh", "-c", f'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"',
            str(home), *command]


@pytest.fixture
def read_only_home(tmp_path, course):
    if not shutil.which("unshare") or subprocess.run(_read_only(["true"], tmp_path)).returncode != 0:
        pytest.skip("needs root and unshare to mount a read-only folder")
    home = tmp_path / "home"
    assert run_quiz("ask", "-n", "1", "--seed", "1", stdin="?\n").returncode == 0  # a history to keep
    return home


@pytest.mark.parametrize("args", [["config", "new_per_day", "5"], ["ask", "-n", "1"], ["exercise", "echo"]])
def test_read_only_home_is_named_as_such_for_commands_that_write(read_only_home, course, args):
    result = subprocess.run(_read_only([sys.executable, "-m", "quizcli", *args], read_only_home),
                            input="?\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "is not writable" in result.stderr and "intact" in result.stderr
    assert "move it away" not in result.stderr and "start afresh" not in result.stderr


@pytest.mark.parametrize("args", [["stats", "--json"], ["topics", "--json"]])
def test_read_only_home_still_shows_what_it_holds(read_only_home, course, args):
    result = subprocess.run(_read_only([sys.executable, "-m", "quizcli", *args], read_only_home),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"seen": 1' in result.stdout if args[0] == "topics" else '"total": 1' in result.stdout


def test_doctor_checks_that_the_home_is_writable(read_only_home, course):
    result = subprocess.run(_read_only([sys.executable, "-m", "quizcli", "doctor", "--json"], read_only_home),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    import json

    folder = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "data folder (QUIZ_HOME)")
    assert not folder["ok"] and "not writable" in folder["detail"] and "chmod" in folder["fix"]
