"""Shared fixtures: every test gets its own QUIZ_HOME and workspace; `course` points content at the fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
collect_ignore = ["fixtures"]  # hidden suites of the fixture course: run by the grader, not by us
COURSE = FIXTURES / "course"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUIZ_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.delenv("QUIZ_NOW", raising=False)
    monkeypatch.delenv("QUIZ_CONTENT", raising=False)
    return tmp_path


@pytest.fixture
def course(monkeypatch):
    monkeypatch.setenv("QUIZ_CONTENT", str(COURSE))
    return COURSE


def run_quiz(*args: str, stdin: str = "", env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed CLI in a real subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "quizcli", *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100", **(env or {})}, timeout=timeout)
