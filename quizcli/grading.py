"""Grading logic: banned calls, and turning the suite's result stream into a verdict. Pure."""

from __future__ import annotations

import ast
import hashlib
import hmac
from dataclasses import asdict, dataclass, field

OUTCOMES = ("passed", "failed", "error", "skipped", "timeout")


@dataclass
class TestResult:
    name: str
    outcome: str
    message: str = ""
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)  # ids of classic mistakes (mistakes.yaml) its failure matched


@dataclass
class GradeResult:
    exercise: str
    passed: bool
    duration: float
    tests: list[TestResult]
    verdict: str = ""          # passed | failed | timeout | crashed | rejected
    message: str = ""          # one line for the whole run
    output: str = ""           # the tail of the run's output, shown when something went wrong
    misconceptions: list[dict] = field(default_factory=list)  # named mistakes and their questions, once recorded

    def to_json(self) -> dict:
        return {"exercise": self.exercise, "passed": self.passed, "duration": round(self.duration, 3),
                "verdict": self.verdict, "message": self.message, "misconceptions": self.misconceptions,
                "tests": [{k: v for k, v in asdict(t).items() if k not in ("notes", "mistakes") or v}
                          for t in self.tests]}

    @property
    def mistakes(self) -> list[str]:
        """Every classic mistake some failed test recognised, once, in order."""
        return list(dict.fromkeys(m for t in self.tests for m in t.mistakes))

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: sum(t.outcome == outcome for t in self.tests) for outcome in OUTCOMES}


# --- before running: what can be seen in the source ---

def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])


def _is_banned(name: str, banned: list[str]) -> str | None:
    return next((b for b in banned if name == b or name.startswith(b + ".")), None)


def banned_uses(source: str, banned: list[str]) -> list[tuple[int, str]]:
    """``(line, banned name)`` for each use, following imports and aliases (``import x as y``, ``from x import y``)."""
    if not banned:
        return []
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    hits: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                if hit := _is_banned(alias.name, banned):
                    hits.add((node.lineno, hit))
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = full
                if hit := _is_banned(full, banned) or _is_banned(node.module, banned):
                    hits.add((node.lineno, hit))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(getattr(node, "ctx", None), ast.Load):
            name = _dotted(node, aliases)
            if name and (hit := _is_banned(name, banned)):
                hits.add((node.lineno, hit))
    return sorted(hits)


GRADER = ("quizcli", "_pytest", "pluggy")  # grader and pytest internals: a solution has no reason to import them
_GRADER_TEXT = ("quizcli", "_pytest", "suite_plugin", "QUIZ_")


def tampering_uses(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for each import of the grader or pytest, and each string that names them (a way to reach
    them through ``sys.modules`` or ``importlib``): a solution that does this is talking to the grader."""
    hits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [word for word in _GRADER_TEXT if word in node.value]
            hits += [(node.lineno, f"the string {word!r}") for word in names]
            continue
        else:
            continue
        hits += [(node.lineno, f"import {name}") for name in names if name.split(".")[0] in GRADER]
    return sorted(set(hits))


def rejected(slug: str, outcome: str, name: str, message: str, verdict: str) -> GradeResult:
    return GradeResult(slug, False, 0.0, [TestResult(name, outcome, message)], verdict, message)


# --- after running: the records streamed by quizcli.suite_plugin ---

def sign(key: bytes, line: str) -> str:
    """The signature of one record line of the result channel (written by suite_plugin, checked by runner)."""
    return hmac.new(key, line.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def tampering(records: list[dict]) -> str:
    """What the records say the solution did to the grader: a line it wrote into the result channel (not
    signed by the plugin: kind "forged"), or what the plugin's guards saw (kind "tampering"); "" if nothing."""
    if any(r.get("kind") == "forged" for r in records):
        return "a record in the result channel was not written by the grader"
    return "; ".join(dict.fromkeys(w for r in records if r.get("kind") == "tampering" for w in r.get("what", [])))


def _test_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def assemble(slug: str, records: list[dict], *, finished: bool, timed_out: bool, timeout: float,
             exit_description: str, duration: float, output: str) -> GradeResult:
    """Combine per-phase records into one result per test and decide the verdict.

    Passing needs the end-of-session sentinel, every collected test passed, and no collection error:
    a solution that exits, crashes or hangs can never pass.
    """
    expected = next((r["nodeids"] for r in records if r.get("kind") == "collected"), [])
    results: dict[str, TestResult] = {}
    for record in records:
        if record.get("kind") == "collect":
            results[record["nodeid"] or "collection"] = TestResult(
                "collection", "error", f"the suite could not be collected: {record['message']}")
        if record.get("kind") != "test":
            continue
        nodeid = record["nodeid"]
        current = results.get(nodeid)
        outcome = record["outcome"]
        if current is None or outcome in ("failed", "error") and current.outcome == "passed":
            results[nodeid] = TestResult(_test_name(nodeid), outcome, record.get("message", ""),
                                         record.get("duration", 0.0), record.get("notes") or [],
                                         record.get("mistakes") or [])
        elif current is not None:
            current.duration += record.get("duration", 0.0)
    missing = [nodeid for nodeid in expected if nodeid not in results]
    for index, nodeid in enumerate(missing):
        if index == 0 and timed_out:
            outcome, message = "timeout", f"did not finish within {timeout:g} s (an infinite loop or a deadlock?)"
        elif index == 0 and not finished:
            outcome, message = "error", f"the test process ended abruptly ({exit_description})"
        elif index == 0:
            outcome, message = "error", "the test run was stopped during this test (pytest.exit or an interrupt?)"
        else:
            outcome, message = "skipped", "not run: the run had already stopped"
        results[nodeid] = TestResult(_test_name(nodeid), outcome, message)
    tests = [results.pop(nodeid) for nodeid in expected if nodeid in results] + list(results.values())
    # "skipped" from the plugin only ever means a skip the suite declared (e.g. GPU-only tests on a CPU)
    all_passed = (len(tests) == len(expected) and any(t.outcome == "passed" for t in tests)
                  and all(t.outcome in ("passed", "skipped") for t in tests))
    tampered = tampering(records)
    passed = finished and not timed_out and all_passed and not tampered
    if tampered:
        verdict, message = "rejected", f"rejected: tampering ({tampered})"
    elif passed:
        skipped = sum(t.outcome == "skipped" for t in tests)
        verdict, message = "passed", f"all {len(tests) - skipped} tests passed" + (
            f" ({skipped} skipped on this machine)" if skipped else "")
    elif timed_out:
        verdict, message = "timeout", f"stopped after {timeout:g} s"
    elif not finished:
        verdict, message = "crashed", f"the test process ended before the suite finished ({exit_description})"
    else:
        good = sum(t.outcome == "passed" for t in tests)
        verdict, message = "failed", f"{good} of {len(tests)} tests passed"
    if not expected and not tests:
        tests = [TestResult("suite", "error", message)]
    return GradeResult(slug, passed, duration, tests, verdict, message, output if not passed else "")
