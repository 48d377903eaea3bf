"""Help text, -h, --version, shell completion, exit codes and setting values as a user types them."""

import pytest
import typer.main
from typer.testing import CliRunner

from conftest import run_quiz

from quizcli import __version__
from quizcli.cli import app
from quizcli.errors import ExitCode

COMMANDS = sorted(typer.main.get_command(app).commands)
runner = CliRunner()


def help_of(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_no_escapes_and_describes_every_argument(name):
    text = help_of(name)
    assert "\\[" not in text and "\\]" not in text
    arguments = text.split("Arguments:\n", 1)[1].split("\n\n", 1)[0] if "Arguments:\n" in text else ""
    for line in arguments.splitlines():
        assert len(line.split()) > 1, f"{name}: an argument without a description: {line!r}"
    assert "Positional arguments" not in text  # listed once


def test_help_shows_defaults_and_ranges_plainly():
    assert "[default: 10; x>=1]" in help_of("ask")


def test_short_help_flag_and_version():
    assert runner.invoke(app, ["-h"]).output == runner.invoke(app, ["--help"]).output
    assert "Show this message and exit." in runner.invoke(app, ["grade", "-h"]).output
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"quiz {__version__}"


@pytest.mark.parametrize("words, expected", [("quiz exercise ec", "echo"), ("quiz grade e", "echo"),
                                             ("quiz ask --topic tra", "transformer"),
                                             ("quiz review -t tr", "transformer")])
def test_shell_completion_offers_slugs_and_topics(course, words, expected):
    env = {"_QUIZ_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    result = run_quiz(env=env)
    assert result.stdout.split() == [expected], result.stdout + result.stderr


def test_completion_can_be_shown_for_a_shell():
    result = run_quiz("--show-completion", "bash")
    assert result.returncode == 0 and "_QUIZ_COMPLETE" in result.stdout


def test_exit_codes_never_collide():
    codes = [code.value for code in ExitCode]
    assert len(codes) == len(set(codes))
    assert ExitCode.USAGE == 2  # click's code for a usage error: nothing else may use it


@pytest.mark.parametrize("args", [["ask", "-n", "0"], ["ask", "--difficulty", "5"], ["grade", "--timeout", "0"],
                                  ["nonsense"]])
def test_usage_errors_exit_with_the_usage_code(course, args):
    result = run_quiz(*args)
    assert result.returncode == ExitCode.USAGE != ExitCode.TESTS_FAILED
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value, accepted", [("-3", False), ("inf", False), ("nan", False), ("0", False),
                                             ("7.5", True)])
def test_config_reads_negative_and_non_finite_values_as_values(course, value, accepted):
    result = run_quiz("config", "fast_mcq", value)
    if accepted:
        assert result.returncode == 0 and "fast_mcq = 7.5" in result.stdout
    else:
        assert result.returncode == ExitCode.ERROR, result.stderr
        assert f"fast_mcq must be a positive number, got '{value}'" in result.stderr
