"""Shared fixtures: every test gets its own QUIZ_HOME and workspace; `course` points content at the fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
collect_ignore = ["fixtures"]  # hidden suites of the fixture course: run by the grader, not by us
COURSE = FIXTURES / "course"

# Test modules load content at import (tests/test_content.py), before any fixture runs: point every
# QUIZ_* folder at a throwaway place now, so the user's exported QUIZ_HOME is never written to.
_SESSION_HOME = tempfile.mkdtemp(prefix="quiz-tests-")
os.environ["QUIZ_HOME"] = os.path.join(_SESSION_HOME, "home")
os.environ["QUIZ_WORKSPACE"] = os.path.join(_SESSION_HOME, "workspace")
os.environ.pop("QUIZ_BANKS", None)  # the user's own banks: neither read nor written by tests


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUIZ_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.delenv("QUIZ_NOW", raising=False)
    monkeypatch.delenv("QUIZ_CONTENT", raising=False)
    monkeypatch.delenv("QUIZ_BANKS", raising=False)
    return tmp_path


@pytest.fixture
def course(monkeypatch):
    monkeypatch.setenv("QUIZ_CONTENT", str(COURSE))
    return COURSE


def run_quiz(*args: str, stdin: str = "", env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed CLI in a real subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "quizcli", *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100", **(env or {})}, timeout=timeout)
