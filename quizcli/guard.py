"""What the grading process guards against in the user's code (installed by suite_plugin before the solution is
imported): banned callables reached by any name, and tampering with the grader.

- Bans by identity: every name in an exercise's ``banned:`` is resolved to its objects (a module: everything it
  defines), and each object is replaced by a guard wherever a loaded module holds it (so
  ``torch._C._nn.scaled_dot_product_attention`` and ``F.scaled_dot_product_attention`` are both guarded); a
  Python class gets a guarded ``__init__``, a torch.distributed collective also its ProcessGroup methods. A banned
  module that is not loaded yet cannot be imported by the solution. A guard lets the call through when the first
  frame outside the libraries is the suite's or the grader's own code (the suite's reference may use what the
  solution may not), and otherwise fails the test: "banned call X".
- Tampering: opening the shipped reference solutions or suites, and replacing functions of the grader, the suite,
  numpy or torch (the comparison helpers) are recorded in ``VIOLATIONS``; the plugin turns them into a
  ``rejected: tampering`` verdict. Importing the grader or writing to the result channel is seen elsewhere (the
  source check in grading.py, the signed records in runner.py).

Cheap by design: no tracing; one scan of the loaded modules at install, one audit hook that looks only at
``open``, and a comparison of a few module dictionaries after each test.
"""

from __future__ import annotations

import importlib
import importlib.abc
import os
import sys
import types
import warnings

VIOLATIONS: list[str] = []  # tampering seen so far in this process ("what was done")
_HELPERS = (  # (module, attribute holding them or "", names): what the suites compare with
    ("numpy", "", ("allclose", "isclose", "array_equal", "abs", "isnan", "isinf", "isfinite", "argmax", "where",
                   "asarray", "unravel_index", "maximum")),
    ("torch", "", ("allclose", "isclose", "equal", "eq", "abs", "isnan", "isinf", "isfinite", "all", "any")),
    ("torch", "Tensor", ("__eq__", "__ne__", "__sub__", "allclose", "isclose", "equal", "all", "any", "abs",
                         "item", "tolist", "numpy", "double", "detach", "clone")),
    ("torch.testing", "", ("assert_close",)),
)
_LIBRARY = (os.path.dirname(os.__file__), "<frozen ")


class BannedCall(AssertionError):
    """The solution called something the exercise asks it to write itself."""


def _is_library(filename: str) -> bool:
    return filename.startswith(_LIBRARY) or f"{os.sep}site-packages{os.sep}" in filename


def called_by_user(allowed: tuple[str, ...]) -> bool:
    """Is the innermost frame outside the libraries code other than the suite's or the grader's?"""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_library(filename):
            return not filename.startswith(allowed)
        frame = frame.f_back
    return False


def _guarded(name: str, original, allowed: tuple[str, ...]):
    def guard(*args, **kwargs):
        if called_by_user(allowed):
            raise BannedCall(f"banned call {name}: this exercise asks you to write it yourself")
        return original(*args, **kwargs)
    guard.__wrapped__ = original
    guard.__name__ = getattr(original, "__name__", name)
    guard.__doc__ = getattr(original, "__doc__", None)
    return guard


def _objects(name: str) -> list[tuple[str, object]]:
    """(dotted name, object) for a banned name: the object, or everything a loaded module defines."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        value = module
        try:
            for attr in parts[cut:]:
                value = getattr(value, attr)
        except AttributeError:
            return []
        if not isinstance(value, types.ModuleType):
            return [(name, value)]
        prefix = value.__name__
        found = []
        for module_name, sub in list(sys.modules.items()):
            if module_name == prefix or module_name.startswith(prefix + "."):
                found += [(f"{module_name}.{key}", obj) for key, obj in list(vars(sub).items())
                          if callable(obj) and getattr(obj, "__module__", "") == module_name]
        return found
    return []


def _replace_everywhere(targets: dict[int, tuple[str, object]], allowed: tuple[str, ...]) -> None:
    """Put a guard wherever a loaded module holds one of the banned functions (any alias of the same object)."""
    guards = {key: _guarded(name, obj, allowed) for key, (name, obj) in targets.items()}
    for namespace in _namespaces():
        for key, value in list(namespace.items()):
            guard = guards.get(id(value))
            if guard is not None and value is targets[id(value)][1]:
                namespace[key] = guard


def _namespaces() -> list[dict]:
    """The namespaces of the loaded modules, and of the extension submodules they hold that sys.modules does
    not list (torch._C._nn)."""
    modules = [m for m in list(sys.modules.values()) if isinstance(getattr(m, "__dict__", None), dict)]
    known = {id(m) for m in modules}
    with warnings.catch_warnings():  # some deprecated module attributes warn when looked at
        warnings.simplefilter("ignore")
        hidden = {id(v): v for m in modules for v in list(vars(m).values())
                  if isinstance(v, types.ModuleType) and id(v) not in known}
    return [vars(m) for m in modules + list(hidden.values()) if m is not sys.modules.get(__name__)]


def _guard_class(name: str, cls: type, allowed: tuple[str, ...]) -> None:
    try:
        cls.__init__ = _guarded(name, cls.__init__, allowed)
    except (TypeError, AttributeError):  # a built-in type: only its module aliases are guarded
        pass


def _guard_process_group(function_names: set[str], allowed: tuple[str, ...]) -> None:
    """A banned collective is also reachable as a method of the process group (dist.group.WORLD.allreduce)."""
    from .testing_distributed import _METHODS  # one map of process-group methods to torch.distributed names
    import torch.distributed.distributed_c10d as c10d

    for cls in (c10d.ProcessGroup, getattr(c10d, "ProcessGroupGloo", None)):
        for method, kind in _METHODS.items():
            if cls is not None and kind in function_names and method in cls.__dict__:
                setattr(cls, method, _guarded(f"ProcessGroup.{method}", cls.__dict__[method], allowed))


class _BannedImports(importlib.abc.MetaPathFinder):
    """Refuses to import a banned module that was not loaded before the solution asked for it."""

    def __init__(self, names: list[str], allowed: tuple[str, ...]):
        self.names, self.allowed = names, allowed

    def find_spec(self, fullname, path=None, target=None):
        hit = next((n for n in self.names if fullname == n or fullname.startswith(n + ".")), None)
        if hit is not None and _imported_by_user(self.allowed):
            raise ImportError(f"banned module {hit}: this exercise asks you to write it yourself")
        return None


def _imported_by_user(allowed: tuple[str, ...]) -> bool:
    """Is the import statement (or importlib call) in user code? A library importing a banned module lazily for
    itself (torch.optim's step loads torch.distributed.fsdp) is not the solution using it."""
    frame = sys._getframe(2)
    importlib_dir = os.path.dirname(importlib.__file__)
    while frame is not None and frame.f_code.co_filename.startswith(("<frozen ", importlib_dir)):
        frame = frame.f_back
    if frame is None or _is_library(frame.f_code.co_filename):
        return False
    return not frame.f_code.co_filename.startswith(allowed)


def install_bans(banned: list[str], allowed: tuple[str, ...]) -> None:
    """Guard every banned name (see the module docstring); ``allowed``: path prefixes of trusted code."""
    functions: dict[int, tuple[str, object]] = {}
    collectives, unloaded = set(), []
    for name in banned:
        found = _objects(name)
        if not found and importlib.util.find_spec(name.split(".")[0]) is not None:
            unloaded.append(name)
        for dotted, obj in found:
            if isinstance(obj, type):
                _guard_class(dotted, obj, allowed)
            else:
                functions[id(obj)] = (dotted, obj)
                if dotted.startswith("torch.distributed.") and "." not in dotted[len("torch.distributed."):]:
                    collectives.add(dotted.rsplit(".", 1)[1])
    _replace_everywhere(functions, allowed)
    if collectives and "torch.distributed.distributed_c10d" in sys.modules:
        _guard_process_group(collectives, allowed)
    if unloaded:
        sys.meta_path.insert(0, _BannedImports(unloaded, allowed))


def watch_content(protected: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """Record opening a file under ``protected`` (the shipped reference solutions and suites) from user code."""
    def hook(event, args):
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.realpath(os.fsdecode(args[0]))
            if path.startswith(protected) and called_by_user(allowed):
                VIOLATIONS.append(f"the solution opened {os.path.basename(path)} from the shipped content")
    sys.addaudithook(hook)


def fingerprint(suites=()) -> dict[str, dict[str, int]]:
    """Identity of the functions a verdict rests on: every function and class of the grader (quizcli.*) and of
    the suites, with their code objects, and the comparison helpers of numpy and torch."""
    grader = [m for n, m in list(sys.modules.items()) if n == "quizcli" or n.startswith("quizcli.")]
    prints = {}
    for module in grader + list(suites):
        values = {k: v for k, v in list(vars(module).items()) if callable(v)}
        prints[module.__name__] = {k: id(v) for k, v in values.items()}
        prints[module.__name__ + " code"] = {k: id(v.__code__) for k, v in values.items()
                                              if isinstance(v, types.FunctionType)}
    for module_name, owner, names in _HELPERS:
        module = sys.modules.get(module_name)
        holder = getattr(module, owner, None) if owner else module
        if holder is not None:
            prints[f"{module_name}.{owner}".rstrip(".")] = {n: id(getattr(holder, n)) for n in names
                                                            if hasattr(holder, n)}
    return prints


def replaced(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> list[str]:
    """Names whose value changed (new names, e.g. lazily loaded submodules, are fine)."""
    return [f"{space}.{key}".rstrip(".") for space, values in before.items()
            for key, ident in values.items() if key in after.get(space, {}) and after[space][key] != ident]
