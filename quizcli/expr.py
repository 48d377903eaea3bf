"""A small, safe arithmetic evaluator for numeric questions (no ``eval``).

Allowed: numbers, names bound in ``variables``, ``+ - * / // % **``, unary ``+ -``, parentheses and the
functions in FUNCTIONS. Anything else (attributes, subscripts, lambdas, strings …) is rejected.
"""

from __future__ import annotations

import ast
import math
import operator

MAX_LENGTH = 500
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 1e300

FUNCTIONS = {
    "sqrt": math.sqrt, "log": math.log, "log2": math.log2, "log10": math.log10, "exp": math.exp,
    "min": min, "max": max, "ceil": math.ceil, "floor": math.floor, "abs": abs, "round": round,
}
BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class ExpressionError(ValueError):
    """The expression is not allowed or cannot be computed."""


def evaluate(text: str | int | float, variables: dict[str, float] | None = None) -> float:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        raise ExpressionError(f"not an expression: {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError("expression too long")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ExpressionError(f"cannot parse {text!r}") from None
    try:
        value = _eval(tree.body, variables or {})
    except (ArithmeticError, ValueError, TypeError) as exc:
        if isinstance(exc, ExpressionError):
            raise
        raise ExpressionError(f"cannot compute {text!r}: {exc}") from None
    return float(value)


def names_in(text: str | int | float) -> set[str]:
    """The variable names an expression uses (function names excluded)."""
    if not isinstance(text, str):
        return set()
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return set()
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def _eval(node: ast.AST, variables: dict[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in variables:
            return variables[node.id]
        raise ExpressionError(f"unknown name {node.id!r}")
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        left, right = _eval(node.left, variables), _eval(node.right, variables)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise ExpressionError("exponent too large")
        return _bounded(BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_eval(node.operand, variables))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords and node.args):
        return _bounded(FUNCTIONS[node.func.id](*(_eval(arg, variables) for arg in node.args)))
    raise ExpressionError(f"not allowed in an expression: {ast.unparse(node)!r}")


def _bounded(value):
    if isinstance(value, complex) or abs(value) > MAX_MAGNITUDE:
        raise ExpressionError("result out of range")
    return value
