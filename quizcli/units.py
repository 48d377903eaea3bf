"""Units of numeric answers: "0.4 GB" on a question in MB is 400 MB, "7B" on a count is 7,000,000,000. Pure.

A unit is a scale times a base: bytes (decimal kB…TB and binary KiB…TiB), FLOPs, MACs and seconds take
SI prefixes; a bare count takes k / M / B (billion) / T. Two units convert when their bases agree.
"""

from __future__ import annotations

import re

DECIMAL = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
BINARY = {"K": 2.0**10, "M": 2.0**20, "G": 2.0**30, "T": 2.0**40}
COUNT = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "bn": 1e9, "T": 1e12}
SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0,
           "h": 3600.0}
BASES = {"FLOPs": "flop", "FLOP": "flop", "MACs": "mac", "MAC": "mac", "B": "byte", "bytes": "byte",
         "byte": "byte"}
SUFFIX = re.compile(r"(.*?[\d).])\s*([A-Za-zµμ%×]+)")


class UnitError(ValueError):
    """A unit that cannot be read as the question's unit."""


def scale(unit: str) -> tuple[float, str] | None:
    """``(scale, base)`` of a unit quiz can convert, e.g. "MiB" → (1048576, "byte"); None for others."""
    if unit in SECONDS:
        return SECONDS[unit], "second"
    if unit in COUNT and unit != "B":
        return COUNT[unit], "count"
    if unit.endswith("iB") and unit[:-2] in BINARY:
        return BINARY[unit[:-2]], "byte"
    for word, base in BASES.items():
        prefix = unit[: -len(word)] if unit.endswith(word) else None
        if prefix is not None and prefix in DECIMAL:
            return DECIMAL[prefix], base
    return None


def _same_word(a: str, b: str) -> bool:
    """"tokens" = "token" = "Tokens"; "×" = "x"."""
    def fold(word: str) -> str:
        return re.sub(r"\s+", "", word.replace("×", "x")).casefold().removesuffix("s")
    return fold(a) == fold(b)


def split(reply: str, unit: str) -> tuple[str, float, str]:
    """``(number text, factor to the question's unit, the unit the reply named)``; factor 1 and '' when it
    named none or the question's own."""
    if unit and scale(unit) is None and _same_word(reply[-len(unit):], unit) and reply[: -len(unit)].strip():
        return reply[: -len(unit)].strip(), 1.0, ""  # units like "tokens/s" or "×10^21 FLOPs", typed out
    match = SUFFIX.fullmatch(reply)
    if not match:
        return reply, 1.0, ""
    number, named = match.group(1).strip(), match.group(2)
    if _same_word(named, unit):
        return number, 1.0, ""
    if named in ("x", "×") and (not unit or _same_word(unit, "x")):
        return number, 1.0, ""
    return number, factor(named, unit), named


def factor(named: str, unit: str) -> float:
    """How many of ``unit`` one ``named`` is."""
    if named == "%" and not unit:
        return 0.01
    target = (scale(unit) if unit else None) or (1.0, "count")  # "tokens", "parameters": counted things
    if target[1] == "count" and named in COUNT:
        source = (COUNT[named], "count")  # "7B" parameters: billions
    elif target[1] == "byte" and named in DECIMAL and named:
        source = (DECIMAL[named], "byte")  # "0.4G" on a question in bytes: GB
    else:
        source = scale(named)
    if source is None or source[1] != target[1]:
        raise UnitError(f"cannot read {named!r} as {unit or 'a plain number'}")
    return source[0] / target[0]
