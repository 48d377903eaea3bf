"""Where quiz keeps things, and what time it is: the only module that reads QUIZ_* variables."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .errors import QuizError


def home() -> Path:
    """The data folder (database, config): ``QUIZ_HOME`` or the platform's user data folder."""
    configured = os.environ.get("QUIZ_HOME")
    if configured:
        path = Path(configured).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("quiz", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = home() / "cache"
    path.mkdir(exist_ok=True)
    return path


def workspace() -> Path:
    """Where exercises are scaffolded: ``QUIZ_WORKSPACE`` or ``~/quiz-workspace``."""
    path = Path(os.environ.get("QUIZ_WORKSPACE") or "~/quiz-workspace").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def now() -> datetime:
    """The current time in UTC; ``QUIZ_NOW`` (ISO 8601) overrides it to simulate days passing."""
    configured = os.environ.get("QUIZ_NOW")
    if not configured:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(configured.replace("Z", "+00:00"))
    except ValueError:
        raise QuizError(f"QUIZ_NOW={configured!r} is not an ISO 8601 time (e.g. 2026-11-23T09:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def content_root() -> Path:
    """Where questions/, exercises/ and solutions/ live.

    ``QUIZ_CONTENT`` overrides it (tests use a small fixture course); an installed wheel carries the
    content in ``quizcli/_content``; a source checkout has it beside the package.
    """
    configured = os.environ.get("QUIZ_CONTENT")
    if configured:
        return Path(configured).expanduser().resolve()
    packaged = Path(__file__).resolve().parent / "_content"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent


def iso(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601, so stored times compare correctly as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` on this machine's clock (days start at local midnight)."""
    return moment.astimezone().date()


def start_of_day(now: datetime) -> datetime:
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def end_of_day(now: datetime) -> datetime:
    return start_of_day(now) + timedelta(days=1)
