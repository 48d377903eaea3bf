"""Exercises on disk: the user's workspace files and what this machine can grade."""

from __future__ import annotations

import importlib.util
import os
import shutil
from datetime import datetime
from pathlib import Path

from . import environment
from .content import Exercise


def workspace_file(slug: str) -> Path:
    return environment.workspace() / slug / "solution.py"


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
