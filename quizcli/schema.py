"""Content validation: banks and exercises checked against the schema. Pure: data in, problems out."""

from __future__ import annotations

import ast
import itertools
import random
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from . import expr, mistakes, schema_loop, yamlio
from .checking import BLANK, normalise, within_tolerance
from .content import LANGUAGES
from .questions import LETTERS, PLACEHOLDER, TYPES, parameter_values

TOPICS = ("transformer", "llm", "peft", "optimization", "layers", "losses", "generalization", "vision",
          "multimodal", "generative", "distributed", "efficiency", "moe", "rag", "rl", "classic-ml", "nlp",
          "metrics", "python")
REQUIREMENTS = ("numpy", "torch", "triton", "distributed", "cuda")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[.\-][a-z0-9]+)*$")
COMMON_KEYS = {"id", "type", "difficulty", "tags", "source", "prompt", "answer", "explanation", "misconceptions",
               "code", "aliases"}
CODE_LANGUAGES = ("python",)
MAX_CODE_LINES = 15
TYPE_KEYS = {"mcq": {"choices", "correct"}, "multi": {"choices", "correct"},
             "numeric": {"value", "tolerance", "unit", "params", "mistakes"}, "cloze": {"blanks"},
             "order": {"items"}, "open": {"key_points"}}
EXERCISE_KEYS = {"slug", "title", "topic", "difficulty", "requires", "timeout", "names", "banned", "hints",
                 "sources", "after", "variants"}
MISTAKE_KEYS = {"id", "label", "tags", "patch"}
MAX_TEMPLATE_CHECKS = 200
BANK_KEYS = {"topic", "title", "questions", "languages", "notes"}


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@lru_cache(maxsize=1)
def known_sections() -> frozenset[tuple[str, str]]:
    entries = yamlio.load(Path(__file__).with_name("sections.yaml"))
    return frozenset((e["note"], e["section"]) for e in entries)


class _Checker:
    """Collects problems for one file."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.problems: list[Problem] = []
        self.languages = LANGUAGES          # a user bank may be English-only (``languages: [en]``)
        self.own_sections: set[tuple[str, str]] = set()  # a user bank's own notes (``notes: {file, sections}``)

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def bilingual(self, node: dict, key: str, required: bool = True) -> None:
        value = node.get(key)
        if value is None:
            if required:
                self.add(node.line_of(key), f"missing '{key}' ({{en, zh}})")
            return
        if not isinstance(value, dict):
            self.add(node.line_of(key), f"'{key}' must be a mapping with 'en' and 'zh'")
            return
        self.only_languages(value, key, node.line_of(key))
        for lang in self.languages:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.add(value.line_of(lang) if lang in value else node.line_of(key),
                         f"'{key}.{lang}' is missing or empty")

    def only_languages(self, value: dict, key: str, line: int) -> None:
        """``{en: Memory, precision}`` is YAML for three keys: text with a comma must be quoted."""
        for extra in [k for k in value if k not in LANGUAGES]:
            self.add(value.line_of(extra) if hasattr(value, "line_of") else line,
                     f"'{key}' has an unexpected key {str(extra)!r}: only en and zh "
                     "(quote text that contains a comma or a colon)")

    def text_or_bilingual(self, items: list, key: str, line: int) -> None:
        for index, item in enumerate(items):
            where = items.line_of(index) if isinstance(items, yamlio.MarkedList) else line
            if isinstance(item, dict):
                self.only_languages(item, f"{key}[{index}]", where)
                for lang in self.languages:
                    if not isinstance(item.get(lang), str) or not item[lang].strip():
                        self.add(where, f"{key}[{index}].{lang} is missing or empty")
            elif not (isinstance(item, (str, int, float)) and str(item).strip()):
                self.add(where, f"{key}[{index}] must be text or {{en, zh}}")

    def source(self, node: dict, key: str = "source") -> None:
        source = node.get(key)
        if not isinstance(source, dict) or not {"note", "section"} <= set(source):
            self.add(node.line_of(key), f"'{key}' must be {{note: <file>, section: <heading>}}")
        elif (source["note"], source["section"]) not in known_sections() | self.own_sections:
            self.add(source.line, f"unknown source section {source['section']!r} of {source['note']!r} "
                                  "(see notes/sections.yaml)")


# --- banks ------------------------------------------------------------------------------------

def validate_bank(path: Path, data) -> list[Problem]:
    check = _Checker(path)
    if not isinstance(data, dict):
        check.add(1, "a bank is a mapping with 'topic', 'title' and 'questions'")
        return check.problems
    for key, line in data.duplicates:
        check.add(line, f"duplicate key '{key}'")
    if data.get("topic") != path.stem:
        check.add(data.line_of("topic"), f"'topic' must equal the file name ({path.stem!r})")
    _user_bank_keys(check, data)
    check.bilingual(data, "title")
    questions = data.get("questions")
    if not isinstance(questions, list):
        check.add(data.line_of("questions"), "missing 'questions' list")
        return check.problems
    for question in questions:
        if not isinstance(question, dict):
            check.add(questions.line, "each question must be a mapping")
            continue
        _validate_question(check, question)
    return check.problems


def _user_bank_keys(check: _Checker, data: dict) -> None:
    """What only a user's bank may say: ``languages: [en]`` (English only, not a copy posing as Chinese) and
    ``notes: {file, sections}`` (its own notes, which its questions may name as their source)."""
    for key in sorted(set(data) - BANK_KEYS):
        check.add(data.line_of(key), f"unknown bank field '{key}'")
    languages = data.get("languages", list(LANGUAGES))
    if not (isinstance(languages, list) and "en" in languages and set(languages) <= set(LANGUAGES)):
        check.add(data.line_of("languages"), "'languages' must be [en] or [en, zh]")
    else:
        check.languages = tuple(languages)
    notes = data.get("notes")
    if notes is None:
        return
    if not (isinstance(notes, dict) and isinstance(notes.get("file"), str)
            and isinstance(notes.get("sections"), list) and all(isinstance(s, str) for s in notes["sections"])):
        check.add(data.line_of("notes"), "'notes' must be {file: <your notes file>, sections: [<heading>, ...]}")
        return
    check.own_sections = {(notes["file"], section) for section in notes["sections"]}


def _validate_question(check: _Checker, q: dict) -> None:
    for key, line in q.duplicates:
        check.add(line, f"duplicate key '{key}'")
    if not isinstance(q.get("id"), str) or not ID_PATTERN.match(q["id"]):
        check.add(q.line_of("id"), "'id' must be lowercase letters, digits, '.' and '-'")
    kind = q.get("type")
    if kind not in TYPES:
        check.add(q.line_of("type"), f"unknown type {kind!r} (one of {', '.join(TYPES)})")
        return
    for key in sorted(set(q) - COMMON_KEYS - TYPE_KEYS[kind]):
        check.add(q.line_of(key), f"unknown field '{key}' for a {kind} question")
    if q.get("difficulty") not in (1, 2, 3):
        check.add(q.line_of("difficulty"), "'difficulty' must be 1, 2 or 3")
    if not isinstance(q.get("tags"), list) or not all(isinstance(t, str) for t in q.get("tags") or []):
        check.add(q.line_of("tags"), "'tags' must be a list of words")
    check.source(q)
    tags = q.get("misconceptions", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and mistakes.TAG.fullmatch(t) for t in tags):
        check.add(q.line_of("misconceptions"), "'misconceptions' must be a list of tags like gqa-grouping")
    for key in ("prompt", "answer"):
        check.bilingual(q, key)
    check.bilingual(q, "explanation", required=False)
    if "code" in q:
        _code(check, q)
    if "aliases" in q and not (isinstance(q["aliases"], list) and all(
            isinstance(a, str) and ID_PATTERN.match(a) for a in q["aliases"])):
        check.add(q.line_of("aliases"), "'aliases' must list the old ids of questions merged into this one")
    {"mcq": _choices, "multi": _choices, "numeric": _numeric, "cloze": _cloze, "order": _order,
     "open": _open}[kind](check, q)


def _code(check: _Checker, q: dict) -> None:
    """Spot-the-bug code: a short snippet that must parse, so line numbers in the question are real."""
    code = q["code"]
    if not isinstance(code, dict) or code.get("language") not in CODE_LANGUAGES or not isinstance(code.get("text"), str):
        check.add(q.line_of("code"), f"'code' must be {{language: {'|'.join(CODE_LANGUAGES)}, text: ...}}")
        return
    lines = code["text"].strip("\n").count("\n") + 1
    if lines > MAX_CODE_LINES:
        check.add(q.line_of("code"), f"'code' has {lines} lines; keep it to {MAX_CODE_LINES}")
    try:
        ast.parse(code["text"])
    except SyntaxError as exc:
        check.add(q.line_of("code"), f"'code' does not parse as Python: line {exc.lineno}: {exc.msg}")


def _listed(check: _Checker, q: dict, key: str, minimum: int, problem: str) -> list | None:
    """A list of texts (or {en, zh}) with at least ``minimum`` items, or None after reporting ``problem``."""
    items = q.get(key)
    if not isinstance(items, list) or len(items) < minimum:
        check.add(q.line_of(key), problem)
        return None
    check.text_or_bilingual(items, key, q.line_of(key))
    return items


def _choices(check: _Checker, q: dict) -> None:
    choices = _listed(check, q, "choices", 2, "'choices' must list at least two options")
    if choices is None:
        return
    valid = LETTERS[: len(choices)]
    correct = q.get("correct")
    letters = [correct] if q["type"] == "mcq" else correct
    if q["type"] == "mcq" and not isinstance(correct, str):
        check.add(q.line_of("correct"), "an mcq's 'correct' is one letter, e.g. b")
    elif not isinstance(letters, list) or not letters or len(set(letters)) != len(letters):
        check.add(q.line_of("correct"), "a multi's 'correct' is a list of distinct letters, e.g. [a, c]")
    elif any(not isinstance(c, str) or c not in valid for c in letters):
        check.add(q.line_of("correct"), f"'correct' must name choices among {', '.join(valid)}")


def _numeric(check: _Checker, q: dict) -> None:
    tolerance = q.get("tolerance")
    if not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool) or not 0 < tolerance < 1:
        check.add(q.line_of("tolerance"), "'tolerance' must be a relative tolerance in (0, 1), e.g. 0.02")
    if not isinstance(q.get("unit"), str):
        check.add(q.line_of("unit"), "'unit' must be a string (\"\" for a pure number)")
    params = q.get("params") or {}
    try:
        grid = {name: parameter_values(spec) for name, spec in params.items()}
        if any(not values or not all(isinstance(v, (int, float)) for v in values) for values in grid.values()):
            raise ValueError
    except (AttributeError, KeyError, TypeError, ValueError):
        check.add(q.line_of("params"), "'params' maps names to a list of numbers or {min, max, step}")
        return
    value = q.get("value")
    missing = expr.names_in(value) - set(grid)
    if missing:
        check.add(q.line_of("value"), f"'value' uses undefined parameters: {', '.join(sorted(missing))}")
        return
    answers = []
    for combination in _combinations(grid):
        try:
            result = expr.evaluate(value, combination)
        except expr.ExpressionError as exc:
            check.add(q.line_of("value"), f"'value' {exc} (with {combination})")
            return
        if result != result:
            check.add(q.line_of("value"), f"'value' is not a number (with {combination})")
            return
        answers.append((combination, result))
    _numeric_mistakes(check, q, set(grid), answers)
    known = set(grid) | {"value"}
    for key in ("prompt", "answer", "explanation"):
        for lang in LANGUAGES:
            unknown_names = set(PLACEHOLDER.findall(str((q.get(key) or {}).get(lang, "")))) - known
            if unknown_names:
                check.add(q.line_of(key), f"'{key}.{lang}' has unknown placeholders: {sorted(unknown_names)}")
    unused = set(grid) - set(PLACEHOLDER.findall(str((q.get("prompt") or {}).get("en", ""))))
    if unused:
        check.add(q.line_of("params"), f"parameters never shown in the prompt: {', '.join(sorted(unused))}")


def _numeric_mistakes(check: _Checker, q: dict, names: set[str], answers: list[tuple[dict, float]]) -> None:
    """Each declared wrong answer must be rejected by the tolerance at every grid point, or it teaches nothing."""
    mistakes = q.get("mistakes", [])
    if not isinstance(mistakes, list):
        check.add(q.line_of("mistakes"), "'mistakes' must be a list of {expr, label: {en, zh}}")
        return
    tolerance = q.get("tolerance") if isinstance(q.get("tolerance"), (int, float)) else 0.0
    for index, mistake in enumerate(mistakes):
        line = mistakes.line_of(index) if isinstance(mistakes, yamlio.MarkedList) else q.line_of("mistakes")
        if not isinstance(mistake, dict) or set(mistake) != {"expr", "label"}:
            check.add(line, f"mistakes[{index}] must be {{expr, label: {{en, zh}}}}")
            continue
        check.bilingual(mistake, "label")
        undefined = expr.names_in(mistake["expr"]) - names
        if undefined:
            check.add(line, f"mistakes[{index}] uses undefined parameters: {', '.join(sorted(undefined))}")
            continue
        for combination, answer in answers:
            problem = _accepted_mistake(mistake["expr"], combination, answer, tolerance)
            if problem:
                check.add(line, f"mistakes[{index}] {problem} (with {combination})")
                break


def _accepted_mistake(formula, combination: dict, answer: float, tolerance: float) -> str:
    try:
        wrong = expr.evaluate(formula, combination)
    except expr.ExpressionError as exc:
        return str(exc)
    if wrong == answer:
        return f"equals the answer {answer:g}"
    if within_tolerance(wrong, answer, tolerance):
        return f"gives {wrong:g}, accepted by the tolerance around the answer {answer:g}: tighten 'tolerance'"
    return ""


def _combinations(grid: dict[str, list]) -> list[dict]:
    names = list(grid)
    total = 1
    for values in grid.values():
        total *= len(values)
    if total <= MAX_TEMPLATE_CHECKS:
        return [dict(zip(names, combo)) for combo in itertools.product(*grid.values())]
    rng = random.Random(0)
    corners = [dict(zip(names, combo)) for combo in itertools.product(*[(v[0], v[-1]) for v in grid.values()])]
    return corners[:MAX_TEMPLATE_CHECKS // 2] + [
        {n: rng.choice(v) for n, v in grid.items()} for _ in range(MAX_TEMPLATE_CHECKS // 2)]


def _cloze(check: _Checker, q: dict) -> None:
    blanks = q.get("blanks")
    if not isinstance(blanks, list) or not blanks or not all(
            isinstance(b, list) and b and all(isinstance(a, (str, int, float)) and str(a).strip() for a in b)
            for b in blanks):
        check.add(q.line_of("blanks"), "'blanks' must be a list of lists of accepted answers")
        return
    for lang in check.languages:
        count = len(BLANK.findall(str((q.get("prompt") or {}).get(lang, ""))))
        if count != len(blanks):
            check.add(q.line_of("prompt"), f"prompt.{lang} has {count} blanks (___) but 'blanks' lists {len(blanks)}")


def _order(check: _Checker, q: dict) -> None:
    items = _listed(check, q, "items", 3, "'items' must list at least three steps, in the right order")
    if items is not None and len({str(item) for item in items}) != len(items):
        check.add(q.line_of("items"), "'items' has duplicate steps")


def _open(check: _Checker, q: dict) -> None:
    _listed(check, q, "key_points", 1, "'key_points' must list the points a good answer makes")


def cross_check(banks: list[tuple[Path, dict]]) -> list[Problem]:
    """Problems that span files: duplicate ids and duplicate prompts."""
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}
    seen_prompts: dict[str, str] = {}
    for path, data in banks:
        for q in data.get("questions") or [] if isinstance(data, dict) else []:
            if not isinstance(q, dict):
                continue
            where = f"{path}:{q.line}"
            qid = q.get("id")
            aliases = q.get("aliases") if isinstance(q.get("aliases"), list) else []
            for name in [qid, *aliases]:
                if isinstance(name, str) and name in seen_ids:
                    problems.append(Problem(str(path), q.line_of("id"), f"duplicate id {name!r} (first at {seen_ids[name]})"))
                if isinstance(name, str):
                    seen_ids.setdefault(name, where)
            prompt = (q.get("prompt") or {}).get("en") if isinstance(q.get("prompt"), dict) else None
            if isinstance(prompt, str) and prompt.strip():
                key = normalise(prompt)
                if key in seen_prompts:
                    problems.append(Problem(str(path), q.line_of("prompt"), f"duplicate prompt (first at {seen_prompts[key]})"))
                seen_prompts.setdefault(key, where)
    return problems


# --- everything -------------------------------------------------------------------------------

@dataclass
class Report:
    questions: int
    exercises: int
    errors: list[Problem]
    by_section: dict = field(default_factory=dict)  # (note, section) → questions naming it

    def uncovered(self) -> list[dict]:
        return [{"note": note, "section": section} for note, section in sorted(known_sections())
                if not self.by_section.get((note, section))]

    def to_json(self) -> dict:
        return {"questions": self.questions, "exercises": self.exercises,
                "errors": [asdict(problem) for problem in self.errors]}


def validate_paths(bank_files: list[Path], exercise_folders: list[Path]) -> Report:
    problems: list[Problem] = []
    loaded: list[tuple[Path, dict]] = []
    count = 0
    for path in bank_files:
        try:
            data = yamlio.load(path)
        except yamlio.YamlError as exc:
            problems.append(Problem(str(path), exc.line, exc.problem))
            continue
        problems += validate_bank(path, data)
        loaded.append((path, data))
        count += len(data.get("questions") or []) if isinstance(data, dict) else 0
    problems += cross_check(loaded)
    from .exercise_schema import validate_exercise  # it builds on this module's checker

    for folder in exercise_folders:
        problems += validate_exercise(folder)
    if loaded and exercise_folders:  # the whole catalogue: every classic mistake must lead to a question
        problems += schema_loop.unlinked_mistakes(exercise_folders, loaded)
    by_section: dict = {}
    for _, data in loaded:
        for q in data.get("questions") or [] if isinstance(data, dict) else []:
            source = q.get("source") if isinstance(q, dict) else None
            if isinstance(source, dict):
                key = (source.get("note"), source.get("section"))
                by_section[key] = by_section.get(key, 0) + 1
    return Report(count, len(exercise_folders), problems, by_section)
