"""Finding and loading content: question banks and exercises (the catalogue is discovered, not listed)."""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .environment import cache_dir, content_root, user_banks
from .errors import QuizError, unknown

if TYPE_CHECKING:
    from .mistakes import Mistake

LANGUAGES = ("en", "zh")


def questions_dir() -> Path:
    return content_root() / "questions"


def exercises_dir() -> Path:
    return content_root() / "exercises"


def text(field, lang: str) -> str:
    """A bilingual field (``{en, zh}``) or a plain string, in ``lang`` (falling back to English)."""
    if isinstance(field, dict):
        return str(field.get(lang) or field.get("en") or "")
    return "" if field is None else str(field)


# --- question banks ---------------------------------------------------------------------------

@dataclass
class Bank:
    topic: str
    title: dict
    questions: list
    path: Path
    languages: tuple = LANGUAGES  # a user's bank may be English-only


def _banks_in(folder: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def builtin_bank_paths() -> dict[str, Path]:
    return _banks_in(questions_dir())


def user_bank_paths() -> dict[str, Path]:
    """The user's own banks (``quiz import`` writes them): ``QUIZ_BANKS`` or ``QUIZ_HOME/banks/``."""
    return _banks_in(user_banks())


def bank_paths() -> dict[str, Path]:
    """Every bank by topic: the built-in ones, then the user's (which never hide a built-in topic)."""
    builtin = builtin_bank_paths()
    return {**builtin, **{topic: path for topic, path in user_bank_paths().items() if topic not in builtin}}


def _yamlio():
    """The YAML reader, imported on first use: with the JSON copies fresh, the fast commands never import yaml."""
    from . import yamlio

    return yamlio


def _file_key(path: Path) -> str:
    """What says a file is unchanged since it was cached."""
    stat = path.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def _read_json(cache: Path) -> dict:
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no usable copy yet


def _write_json(cache: Path, value: dict) -> None:
    try:
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        partial.replace(cache)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home or a value JSON cannot hold: just parse next time


def _parse_cached(path: Path):
    """The data of a YAML file (a bank, a manifest), from a JSON copy in the cache when the file is unchanged.

    Parsing YAML costs ~0.2 ms per question even with libyaml; reading JSON is ~40× faster, and
    `ask`/`review`/`topics` must start about as fast as Python imports the CLI libraries.
    """
    where = str(path.resolve())
    key = f"{where}:{_file_key(path)}"  # the path too: two files whose names share a checksum share one copy
    cache = cache_dir() / f"yaml-{zlib.crc32(where.encode()):08x}.json"  # zlib: hashlib's OpenSSL loads slowly
    cached = _read_json(cache)
    if cached.get("key") == key:
        return cached["data"]
    data = _yamlio().load(path, marks=False)
    _write_json(cache, {"key": key, "data": data})
    return data


def load_bank(path: Path) -> Bank:
    data = _parse_cached(path)
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuizError(f"{path}:1: a bank is a mapping with a 'questions' list (run `quiz validate`)")
    topic = path.stem
    questions = [q for q in data["questions"] if isinstance(q, dict) and "id" in q and "type" in q]
    for question in questions:
        question["topic"] = topic
    return Bank(topic, data.get("title") or {"en": topic}, questions, path,
                tuple(data.get("languages") or LANGUAGES))


def _chosen_paths(topics: list[str] | None) -> dict[str, Path]:
    paths = bank_paths()
    for topic in topics or []:
        if topic not in paths:
            raise unknown("topic", topic, list(paths))
    return {t: paths[t] for t in (topics or paths)}


def load_banks(topics: list[str] | None = None) -> list[Bank]:
    return [load_bank(path) for path in _chosen_paths(topics).values()]


@dataclass
class BankSummary:
    """A bank without its questions' text: what listing topics and choosing a round's cards need."""
    topic: str
    title: dict
    path: Path
    languages: tuple
    questions: list   # [id, type, difficulty] per question, in bank order
    aliases: dict     # old id of a merged question → the id kept


def _summary_entry(bank: Bank, key: str) -> dict:
    return {"key": key, "title": bank.title, "languages": list(bank.languages),
            "questions": [[q["id"], q["type"], q.get("difficulty")] for q in bank.questions],
            "aliases": aliases([bank])}


def bank_summaries(topics: list[str] | None = None) -> list[BankSummary]:
    """Summaries of the chosen banks (all by default), from one small index in the cache; a bank changed since
    is read again. Decoding every bank in full would cost more than the rest of ``quiz topics``."""
    cache = cache_dir() / "bank-index.json"
    index = _read_json(cache)
    summaries, stale = [], {}
    for topic, path in _chosen_paths(topics).items():
        key, entry = _file_key(path), index.get(str(path))
        if not entry or entry.get("key") != key:
            entry = stale[str(path)] = _summary_entry(load_bank(path), key)
        summaries.append(BankSummary(topic, entry["title"], path, tuple(entry["languages"]),
                                     entry["questions"], entry["aliases"]))
    if stale:
        _write_json(cache, {**index, **stale})
    return summaries


def aliases(banks: list[Bank]) -> dict[str, str]:
    """Old ids of merged questions → the id kept, so their history follows them."""
    return {old: q["id"] for bank in banks for q in bank.questions for old in q.get("aliases") or []}


def questions_by_id(banks: list[Bank] | None = None) -> dict[str, dict]:
    return {q["id"]: q for bank in (banks if banks is not None else load_banks()) for q in bank.questions
            if "id" in q}


# --- exercises --------------------------------------------------------------------------------

@dataclass
class Exercise:
    slug: str
    folder: Path
    manifest: dict

    @property
    def title(self) -> dict:
        return self.manifest.get("title") or {"en": self.slug}

    @property
    def topic(self) -> str:
        return str(self.manifest.get("topic", ""))

    @property
    def difficulty(self) -> int:
        return int(self.manifest.get("difficulty", 1))

    @property
    def requires(self) -> list[str]:
        return list(self.manifest.get("requires") or [])

    @property
    def timeout(self) -> float:
        return float(self.manifest.get("timeout", 60))

    @property
    def hints(self) -> list:
        return list(self.manifest.get("hints") or [])

    @property
    def names(self) -> list[str]:
        return list(self.manifest.get("names") or [])

    @property
    def banned(self) -> list[str]:
        return list(self.manifest.get("banned") or [])

    @property
    def after(self) -> list[str]:
        """Exercises to do first (``after: [attention]``): review introduces this one only once they passed."""
        return list(self.manifest.get("after") or [])

    @property
    def variants(self) -> list[dict]:
        """``[{id, prompt: {en, zh}, params: {...}}]``: a review asks the next one not yet passed."""
        return [v for v in self.manifest.get("variants") or [] if isinstance(v, dict) and "id" in v]

    def variant(self, variant_id: str) -> dict | None:
        return next((v for v in self.variants if v["id"] == variant_id), None)

    @property
    def card_id(self) -> str:
        """The exercise's spaced-repetition card (question cards use the question id)."""
        return f"exercise:{self.slug}"

    @property
    def starter(self) -> Path:
        return self.folder / "starter.py"

    @property
    def suite(self) -> Path:
        return self.folder / f"test_{self.slug}.py"

    @property
    def solution(self) -> Path:
        return self.folder.parent.parent / "solutions" / f"{self.slug}.py"

    @property
    def mistakes_file(self) -> Path:
        from .mistakes import FILE_NAME

        return self.folder / FILE_NAME

    @cached_property
    def mistakes(self) -> list[Mistake]:
        """The classic mistakes, each a patch of the reference (``mistakes.yaml``)."""
        from .mistakes import load  # here: yaml and the patch logic stay out of the fast commands

        return load(self.mistakes_file)

    def mutant_source(self, mistake: Mistake) -> str:
        """The reference with ``mistake`` applied; raises mistakes.PatchError when the patch no longer applies
        or makes code that does not parse (a mutant that cannot even be imported proves nothing)."""
        from .mistakes import PatchError, apply_patch

        source = apply_patch(self.solution.read_text(encoding="utf-8"), mistake)
        try:
            compile(source, f"{mistake.id}.py", "exec")
        except SyntaxError as exc:
            raise PatchError(f"mistake {mistake.id}: the patched reference does not parse "
                             f"(line {exc.lineno}: {exc.msg})") from None
        return source

    def prompt(self, lang: str) -> str:
        path = self.folder / ("prompt.zh.md" if lang == "zh" else "prompt.md")
        if not path.exists():
            path = self.folder / "prompt.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""


def exercise_folders() -> dict[str, Path]:
    folder = exercises_dir()
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if (p / "exercise.yaml").is_file()}


def read_exercise(folder: Path, cached: bool = False) -> Exercise:
    """``cached``: the manifest from the cache when unchanged, without line numbers (for use, not validation)."""
    path = folder / "exercise.yaml"
    manifest = _parse_cached(path) if cached else _yamlio().load(path)
    if not isinstance(manifest, dict):
        raise _yamlio().YamlError(path, 1, "an exercise manifest is a mapping")
    return Exercise(folder.name, folder, manifest)


def load_exercise(slug: str) -> Exercise:
    folders = exercise_folders()
    if slug not in folders:
        raise unknown("exercise", slug, list(folders))
    return read_exercise(folders[slug], cached=True)


def load_exercises() -> list[Exercise]:
    return [load_exercise(slug) for slug in exercise_folders()]
