"""YAML reading that remembers line numbers, so every problem can be reported as ``file:line``."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import QuizError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser where present


class YamlError(QuizError):
    """A file that cannot be read or parsed, with the line where the problem is."""

    def __init__(self, path: Path, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


class MarkedDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict = {}
        self.duplicates: list[tuple[str, int]] = []

    def line_of(self, key) -> int:
        return self.lines.get(key, self.line)


class MarkedList(list):
    """A sequence that knows its own line and the line of each item."""

    line = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _Loader(_Base):
    pass


def _mapping(loader, node):
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            result.duplicates.append((str(key), key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader, node):
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def load(path: Path, marks: bool = True):
    """Parse ``path``; a syntax error becomes a YamlError naming the file and line.

    ``marks=False`` builds plain dicts and lists, about a third faster: for reading, not validating.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(path, 1, f"cannot read: {exc}") from None
    try:
        return yaml.load(text, Loader=_Loader if marks else _Base)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(path, mark.line + 1 if mark else 1, f"invalid YAML: {problem}") from None
