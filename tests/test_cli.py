import json
import subprocess
import sys

import pytest
import typer.main

from conftest import run_quiz

from quizcli.cli import app

COMMANDS = sorted(c.name for c in typer.main.get_command(app).commands.values())


def test_every_command_in_the_contract_exists():
    assert set(COMMANDS) >= {"topics", "ask", "review", "exercise", "grade", "hint", "solution", "stats", "validate",
                             "import", "export", "doctor", "selftest", "config"}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_text(name):
    command = typer.main.get_command(app).commands[name]
    assert command.help and len(command.help) > 15


@pytest.mark.parametrize("module", ["quizcli.cli", "quizcli.commands.questions", "quizcli.commands.reviewing",
                                   "quizcli.rounds"])
def test_fast_paths_never_import_torch_or_numpy(module):
    code = f"import sys, {module}; print(sorted(m for m in ('torch', 'numpy', 'triton') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_ask_round_does_not_import_torch_or_numpy(course):
    code = ("import sys, runpy; sys.argv = ['quiz', 'ask', '-n', '1']\n"
            "try:\n    runpy.run_module('quizcli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('IMPORTED', sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], input="", capture_output=True, text=True)
    assert "IMPORTED []" in result.stdout, result.stdout + result.stderr


def test_python_dash_m_is_the_same_cli():
    result = run_quiz("--help")
    assert result.returncode == 0 and "review" in result.stdout


def test_unknown_topic_lists_the_valid_ones(course):
    result = run_quiz("ask", "--topic", "transfomer")
    assert result.returncode == 1
    assert "unknown topic 'transfomer'; did you mean 'transformer'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_exercise_suggests_close_matches(course):
    result = run_quiz("exercise", "ecco")
    assert result.returncode == 1 and "did you mean 'echo'" in result.stderr


def test_bad_quiz_now_is_a_clear_error(course):
    result = run_quiz("stats", env={"QUIZ_NOW": "yesterday"})
    assert result.returncode == 1 and "QUIZ_NOW" in result.stderr and "Traceback" not in result.stderr


def test_topics_json_shape(course):
    rows = [row for row in json.loads(run_quiz("topics", "--json").stdout) if row["topic"] == "transformer"]
    assert rows[0]["questions"] == 6
    assert set(rows[0]) >= {"topic", "title", "questions", "by_type"}
    assert rows[0]["by_type"] == {"mcq": 1, "multi": 1, "numeric": 1, "cloze": 1, "order": 1, "open": 1}


def test_config_set_get_and_reject(course):
    assert run_quiz("config", "new_per_day", "5").returncode == 0
    assert "new_per_day = 5" in run_quiz("config", "new_per_day").stdout
    bad = run_quiz("config", "new_per_day", "lots")
    assert bad.returncode == 1 and "must be a int" in bad.stderr
    unknown = run_quiz("config", "colour", "red")
    assert unknown.returncode == 1 and "unknown setting" in unknown.stderr


def test_import_turns_sections_into_open_questions(tmp_path, course):
    notes = tmp_path / "notes.md"
    notes.write_text("# Adam\nMomentum plus RMS scaling.\n\n## Bias correction\nDivide by 1-β^t.\n\n# Empty\n")
    out = tmp_path / "my-adam.yaml"
    result = run_quiz("import", str(notes), "--topic", "my-adam", "--out", str(out))
    assert result.returncode == 0, result.stderr
    import yaml
    bank = yaml.safe_load(out.read_text())
    assert [q["source"]["section"] for q in bank["questions"]] == ["Adam", "Bias correction"]
    assert all(q["type"] == "open" for q in bank["questions"])


def test_export_json_and_anki(tmp_path, course):
    run_quiz("ask", "-n", "1", "--seed", "1", stdin="?\n")
    out = tmp_path / "cards.json"
    assert run_quiz("export", str(out), "--format", "json").returncode == 0
    rows = json.loads(out.read_text())
    assert len(rows) == 7 and sum(row["card"] is not None for row in rows) == 1
    anki = tmp_path / "cards.txt"
    assert run_quiz("export", str(anki), "--format", "anki").returncode == 0
    assert anki.read_text().startswith("#separator:tab") and len(anki.read_text().splitlines()) == 3 + 7


def test_doctor_json_shape(course):
    result = run_quiz("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    names = {check["name"] for check in report["checks"]}
    assert {"python", "torch", "cuda", "triton", "gloo", "cpu cores"} <= names
    assert all(set(check) >= {"name", "ok", "detail", "fix"} for check in report["checks"])
    assert all(check["fix"] for check in report["checks"] if not check["ok"])
    assert report["exercises"] == {"echo": True}


def test_optimize_says_when_there_is_too_little_history(course):
    result = run_quiz("optimize")
    assert result.returncode == 0 and "0 reviews so far" in result.stdout and "keeping the" in result.stdout
