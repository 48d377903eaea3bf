"""pytest plugin loaded into every hidden-suite run (``-p quizcli.suite_plugin``).

It hands the user's module to the suite through the ``solution`` fixture and, when the grader
passes a results pipe (``QUIZ_RESULTS_FD``), streams one JSON line per test to it and a sentinel
at the end. The grader trusts only that channel: a solution that exits early never writes the
sentinel, so it cannot pass by quitting. Each line is signed with a key the grader sends through a
second pipe (``QUIZ_KEY_FD``, read and closed before the solution is imported): a line the user's
code writes into the channel is not signed and ends the grade as tampering. Before the solution is
imported, ``quizcli.guard`` arms the exercise's bans and the tampering checks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time

import pytest

from . import guard
from .grading import sign

MESSAGE_LIMIT = 800
SENTINEL = "__quiz_session_finished__"
_opened = False  # the result channel, once opened, is known only to the signer's closure
_messages: dict[str, str] = {}
_variant: dict = {}  # QUIZ_VARIANT, read once at start
_mistakes: dict[str, list[str]] = {}  # test → ids of the classic mistakes its failure matched
_timeouts: set[str] = set()  # tests that failed because their own deadline passed (e.g. hung ranks)
_marked_skips: set[str] = set()  # skips the suite declared (skip/skipif markers): the only skips that count
_guarded: dict = {}  # once armed: "print", the fingerprint of the grader's and the suite's namespaces


def load_solution(path: str):
    """Import the file at ``path`` as the module ``solution``; user errors become pytest failures."""
    spec = importlib.util.spec_from_file_location("solution", path)
    if spec is None or spec.loader is None:
        pytest.fail(f"cannot import {path}", pytrace=False)
    module = importlib.util.module_from_spec(spec)
    sys.modules["solution"] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:
        pytest.fail(f"your solution called sys.exit({exc.code!r}) while being imported", pytrace=False)
    except (pytest.skip.Exception, pytest.exit.Exception) as exc:
        pytest.fail(f"your solution tried to skip or stop the tests while being imported ({exc})", pytrace=False)
    except SyntaxError as exc:
        pytest.fail(f"syntax error in your solution, line {exc.lineno}: {exc.msg}", pytrace=False)
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's to see
        pytest.fail(f"importing your solution raised {type(exc).__name__}: {exc}", pytrace=False)
    return module


@pytest.fixture(scope="session")
def variant() -> dict:
    """The suite parameters of the variant being graded (``{}`` for the core task): suites read them in the
    checks they add for variants, e.g. ``n_kv_heads = variant.get("n_kv_heads", 2)``."""
    return dict(_variant)


@pytest.fixture(scope="session")
def solution(request):
    path = os.environ.get("QUIZ_SOLUTION")
    if not path:
        pytest.fail("QUIZ_SOLUTION is not set: no solution file to test", pytrace=False)
    _arm_guards(request.config, request.session)
    return load_solution(path)


def _arm_guards(config, session) -> None:
    """Bans and tampering checks, armed once before the solution is imported (see quizcli.guard)."""
    from .environment import content_root

    if _guarded:
        return
    suite_dir = str(config.rootpath)
    allowed = (suite_dir + os.sep, os.path.dirname(os.path.abspath(__file__)) + os.sep)
    manifest = config.rootpath / "exercise.yaml"
    if manifest.is_file():
        from . import yamlio

        guard.install_bans(list((yamlio.load(manifest) or {}).get("banned") or []), allowed)
    root = content_root()
    guard.watch_content((str(root / "solutions") + os.sep, str(root / "exercises") + os.sep), allowed)
    suites = list({id(item.module): item.module for item in session.items if hasattr(item, "module")}.values())
    # The checks are kept here as well, so replacing them in quizcli.guard does not switch them off.
    _guarded.update(suites=suites, print=guard.fingerprint(suites), fingerprint=guard.fingerprint,
                    replaced=guard.replaced, violations=guard.VIOLATIONS)


def _tampering() -> list[str]:
    """What the solution did to the grader since the guards were armed (nothing before that)."""
    if not _guarded:
        return []
    changed = _guarded["replaced"](_guarded["print"], _guarded["fingerprint"](_guarded["suites"]))
    return list(_guarded["violations"]) + [f"the solution replaced {name}" for name in changed[:3]]


def _matched_mistakes() -> list[str]:
    """Mistake ids ``quizcli.testing`` named during this test (read without importing it: it needs numpy)."""
    testing = sys.modules.get("quizcli.testing")
    matched = list(dict.fromkeys(getattr(testing, "MATCHED", [])))
    if testing is not None:
        testing.MATCHED.clear()
    return matched


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def describe_exception(exc: BaseException) -> str:
    if isinstance(exc, AssertionError):
        return _short(str(exc) or "assertion failed")
    if isinstance(exc, NotImplementedError):
        return "not implemented yet (NotImplementedError)"
    if isinstance(exc, MemoryError):
        return "MemoryError: ran out of memory (grading runs under a memory limit)"
    if isinstance(exc, SystemExit):
        return f"your code called sys.exit({exc.code!r})"
    if type(exc).__name__ == "Failed":  # pytest.fail
        return _short(str(exc))
    return _short(f"{type(exc).__name__}: {exc}")


def _signer(channel, key: bytes):
    """A sender that keeps the channel and the key in its closure, not in module attributes."""
    def send(record: dict) -> None:
        line = json.dumps(record)
        channel.write(f"{line}\t{sign(key, line)}\n")
        channel.flush()
    return send


def _send(record: dict) -> None:  # replaced by a signer once the channel is open
    pass


def pytest_configure(config):
    global _opened, _send
    fd, key_fd = os.environ.get("QUIZ_RESULTS_FD"), os.environ.get("QUIZ_KEY_FD")
    if fd and not _opened:
        _opened = True
        key = b""
        if key_fd:
            key = os.read(int(key_fd), 256)
            os.close(int(key_fd))
        _send = _signer(os.fdopen(int(fd), "w", buffering=1, closefd=False), key)
        # Keep the pipe away from the user's code: it sees no QUIZ_* variables.
        os.environ.pop("QUIZ_RESULTS_FD", None)
        os.environ.pop("QUIZ_KEY_FD", None)
    _variant.update(json.loads(os.environ.pop("QUIZ_VARIANT", "") or "{}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marked = item.get_closest_marker("skipif") or item.get_closest_marker("skip")
    if report.skipped and call.when == "setup" and marked is not None:
        _marked_skips.add(item.nodeid)
    matched = _matched_mistakes()  # cleared after every phase, so a test only reports its own
    tampered = _tampering()
    if tampered:
        report.outcome = "failed"
        _messages[item.nodeid] = f"rejected: tampering ({'; '.join(tampered)})"
        _send({"kind": "tampering", "nodeid": item.nodeid, "what": tampered})
    elif call.excinfo is not None and report.failed:
        _messages[item.nodeid] = describe_exception(call.excinfo.value)
        _mistakes[item.nodeid] = matched
        if type(call.excinfo.value).__name__ == "RanksTimedOut":
            _timeouts.add(item.nodeid)


def pytest_runtest_logreport(report):
    if report.when != "call" and report.passed:
        return  # setup and teardown are news only when they go wrong
    outcome, message = report.outcome, _messages.get(report.nodeid, "")
    if report.failed:
        outcome = "error" if report.when != "call" else "timeout" if report.nodeid in _timeouts else "failed"
    elif report.skipped:
        if isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2])
        if report.nodeid not in _marked_skips:
            # A skip raised while the test ran may come from the code under test: it must not pass.
            outcome, message = "failed", f"skipped by code under test, which counts as a failure ({message})"
    notes = [str(value) for key, value in report.user_properties if key == "note"]
    _send({"kind": "test", "nodeid": report.nodeid, "when": report.when, "outcome": outcome,
           "message": message, "notes": notes, "duration": round(report.duration, 4),
           "mistakes": _mistakes.get(report.nodeid, []) if report.failed else []})


def pytest_collectreport(report):
    if report.failed:
        _send({"kind": "collect", "nodeid": report.nodeid, "outcome": "error",
               "message": _short(str(report.longrepr))})


def pytest_collection_finish(session):
    _send({"kind": "collected", "nodeids": [item.nodeid for item in session.items]})


def pytest_sessionfinish(session, exitstatus):
    _send({"kind": SENTINEL, "exitstatus": int(exitstatus), "time": time.time()})
