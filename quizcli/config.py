"""User settings: ``QUIZ_HOME/config.toml``, edited with ``quiz config KEY VALUE``."""

from __future__ import annotations

import math
from pathlib import Path

from . import environment
from .errors import QuizError, unknown

DEFAULTS: dict[str, object] = {
    "desired_retention": 0.9,   # FSRS target probability of recall
    "new_per_day": 20,          # new cards introduced by `quiz review` per day
    "language": "en",           # en | zh
    "new_exercises_per_day": 1,  # new exercises `quiz review` suggests per day
    "fast_mcq": 10.0,           # seconds: a right answer at least this fast is rated Easy
    "fast_multi": 20.0,
    "fast_numeric": 45.0,
    "fast_cloze": 20.0,
    "fast_order": 25.0,
}
CHECKS = {
    "desired_retention": (lambda v: 0.7 <= v <= 0.99, "between 0.70 and 0.99"),
    "new_per_day": (lambda v: 0 <= v <= 1000, "between 0 and 1000"),
    "language": (lambda v: v in ("en", "zh"), "en or zh"),
    "new_exercises_per_day": (lambda v: 0 <= v <= 100, "between 0 and 100"),
}


def path() -> Path:
    return environment.home() / "config.toml"


def load() -> dict:
    settings = dict(DEFAULTS)
    file = path()
    if file.exists():
        import tomllib  # here: without a config file (the default) nothing pays for the parser

        try:
            settings.update(tomllib.loads(file.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise QuizError(f"{file}: invalid TOML ({exc}); fix or delete it")
    settings["fsrs_parameters"] = fitted_parameters()
    return settings


def parse(key: str, raw: str) -> object:
    if key not in DEFAULTS:
        raise unknown("setting", key, list(DEFAULTS))
    kind = type(DEFAULTS[key])
    try:
        value = kind(raw)
    except ValueError:
        raise QuizError(f"{key} must be a {kind.__name__}, got {raw!r}") from None
    check, expected = CHECKS.get(key, (lambda v: 0 < v < math.inf, "a positive number"))
    if value != value or not check(value):  # NaN passes no comparison but must not pass this one
        raise QuizError(f"{key} must be {expected}, got {raw!r}")
    return value


def save(key: str, raw: str) -> object:
    value = parse(key, raw)
    current = load()
    current[key] = value
    lines = [f"{k} = {v!r}" if isinstance(v, (int, float)) else f'{k} = "{v}"'
             for k, v in current.items() if k in DEFAULTS and current[k] != DEFAULTS[k]]
    if not environment.writable(path().parent):
        raise environment.not_writable(path().parent)
    path().write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return value


def parameters_path() -> Path:
    return environment.home() / "fsrs-parameters.json"


def save_parameters(parameters: list[float]) -> None:
    import json

    parameters_path().write_text(json.dumps(parameters), encoding="utf-8")


def fitted_parameters() -> list[float] | None:
    """FSRS parameters fitted by ``quiz optimize``, if any."""
    import json

    file = parameters_path()
    if not file.exists():
        return None
    try:
        values = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise QuizError(f"{file}: not valid JSON; delete it to use the default FSRS parameters")
    return [float(v) for v in values]
