"""Exercises on disk: the user's workspace files and what this machine can grade."""

from __future__ import annotations

import importlib.util
import os
import shutil
from datetime import datetime
from pathlib import Path

from . import environment
from .content import Exercise
from .errors import QuizError


def workspace_file(slug: str) -> Path:
    path = environment.workspace() / slug / "solution.py"
    if path.is_dir():
        raise QuizError(f"{path} is a folder, not your solution file: move it away, then run `quiz exercise {slug}`")
    return path


def scaffold(exercise: Exercise, force: bool, now: datetime) -> tuple[Path, bool, Path | None]:
    """Copy the starter into the workspace. Never overwrites work unless ``force``, which keeps a backup.

    Returns (path, written, backup).
    """
    target = workspace_file(exercise.slug)
    backup = None
    if target.exists():
        if not force:
            return target, False, None
        backup = target.with_name(f"solution.{now.strftime('%Y%m%d-%H%M%S')}.bak.py")
        shutil.copy2(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(exercise.starter, target)
    return target, True, backup


def archive_folder(slug: str) -> Path:
    return environment.home() / "attempts" / slug


def start_fresh(exercise: Exercise, now: datetime) -> tuple[Path, Path | None]:
    """A fresh attempt: the workspace file moves to ``QUIZ_HOME/attempts/<slug>/<time>.py`` and the starter
    takes its place. Returns (workspace file, where the old one went)."""
    target = workspace_file(exercise.slug)
    archived = None
    if target.exists():
        folder = archive_folder(exercise.slug)
        folder.mkdir(parents=True, exist_ok=True)
        archived = folder / f"{now.strftime('%Y%m%d-%H%M%S')}.py"
        while archived.exists():  # two fresh attempts within a second
            archived = archived.with_stem(archived.stem + "+")
        shutil.move(target, archived)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(exercise.starter, target)
    return target, archived


def archived_attempts(slug: str) -> list[Path]:
    folder = archive_folder(slug)
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def missing_requirements(requires: list[str]) -> list[str]:
    """What this machine lacks to grade an exercise (cheap: no torch import)."""
    present = {
        "numpy": importlib.util.find_spec("numpy") is not None,
        "torch": importlib.util.find_spec("torch") is not None,
        "distributed": importlib.util.find_spec("torch") is not None,
        "triton": importlib.util.find_spec("triton") is not None,
        "cuda": os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl"),
    }
    return [need for need in requires if not present.get(need, False)]


def status(attempts: list[tuple]) -> tuple[str, float | None]:
    """(new | attempted | passed, best passing time) from ``Store.attempts`` rows."""
    if not attempts:
        return "new", None
    passing = [row[5] for row in attempts if row[2]]
    return ("passed", min(passing)) if passing else ("attempted", None)
