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
    return _folder(path, "data folder (QUIZ_HOME)")


def user_banks() -> Path:
    """The user's own question banks: ``QUIZ_BANKS`` or ``QUIZ_HOME/banks`` (created by ``quiz import``)."""
    configured = os.environ.get("QUIZ_BANKS")
    return Path(configured).expanduser() if configured else home() / "banks"


def cache_dir() -> Path:
    """Parsed-bank copies; a read-only home just goes without them."""
    path = home() / "cache"
    try:
        path.mkdir(exist_ok=True)
    except OSError:
        pass
    return path


def workspace() -> Path:
    """Where exercises are scaffolded: ``QUIZ_WORKSPACE`` or ``~/quiz-workspace``."""
    path = Path(os.environ.get("QUIZ_WORKSPACE") or "~/quiz-workspace").expanduser()
    return _folder(path, "workspace (QUIZ_WORKSPACE)")


def _folder(path: Path, role: str) -> Path:
    """``path``, created if missing; a file in the way or a folder that cannot be made is a QuizError."""
    if path.exists() and not path.is_dir():
        raise QuizError(f"the {role} {path} is a file, not a folder: move it away or point the variable elsewhere")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QuizError(f"cannot create the {role} {path}: {exc.strerror}; point the variable at a folder "
                        "you can write") from None
    return path


def output_file(path: Path) -> Path:
    """``path`` if a file can be written there: not a folder, in a folder that exists."""
    if path.is_dir():
        raise QuizError(f"{path} is a folder: give a file name, e.g. {path / 'quiz-export.json'}")
    if not path.parent.is_dir():
        raise QuizError(f"the folder {path.parent} does not exist: create it first (mkdir -p {path.parent})")
    return path


def not_writable(folder: Path) -> QuizError:
    return QuizError(f"{folder} is not writable, so quiz cannot save anything there (what it holds is intact): "
                     f"make it writable (chmod u+w {folder}) or point QUIZ_HOME at a writable folder")


def writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (a read-only mount or missing permission say no)."""
    return os.access(folder, os.W_OK | os.X_OK)


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
