"""The one error type users see, and the exit codes (documented in the README)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1          # a user mistake or invalid content: a one-line message, no traceback
    USAGE = 2          # a bad option or argument: Click's own code, never used for anything else
    TESTS_FAILED = 3   # `quiz grade` / `quiz selftest`: a suite did not pass
    TIMEOUT = 4        # `quiz grade`: the run hit its time limit
    INTERRUPTED = 130  # Ctrl-C


class QuizError(Exception):
    """A problem the user can fix; the CLI prints it in one line and exits with ``code``."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR):
        super().__init__(message)
        self.code = code


def unknown(kind: str, name: str, valid: list[str]) -> QuizError:
    """``unknown topic 'transfomer'; did you mean 'transformer'? valid: …``"""
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return QuizError(f"unknown {kind} {name!r}{hint} (valid: {', '.join(sorted(valid))})")
