"""Parent-side planning for the unit-test verifier: turn test strings into independently reported units.

Only ``ast`` parsing and ``compile`` happen here (nothing from the model is executed in the parent). A
HumanEval-style test (``def check(candidate): assert ...``) is split into one outcome per top-level statement
of the check body that asserts, so the report says which asserts fail; other body statements run as setup.
When the body cannot run statement by statement (``return``, ``yield``...), ``check(entry_point)`` is one unit.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

CHECK_NAME = "check"
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)  # what ast.parse/compile raise on junk


class PlanError(ValueError):
    """The candidate or a test cannot even be parsed; the message is one line for the report."""


def parse_candidate(code: str) -> ast.Module:
    try:
        return ast.parse(code, "candidate.py")
    except SyntaxError as exc:
        raise PlanError(f"candidate has a syntax error: line {exc.lineno}: {exc.msg}") from exc
    except _UNPARSABLE as exc:
        raise PlanError(f"candidate cannot be parsed: {type(exc).__name__}") from exc


def guess_entry_point(tree: ast.Module) -> str | None:
    """The last top-level function: HumanEval prompts put helpers first and the graded function last."""
    names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    return names[-1] if names else None


def _compiles(source: str) -> bool:
    try:
        compile(source, "<step>", "exec", dont_inherit=True)
    except _UNPARSABLE:
        return False
    return True


def _asserts(stmt: ast.stmt) -> bool:
    """A body statement is a test when it asserts something (an ``assert`` or a loop of asserts)."""
    return any(isinstance(node, ast.Assert) for node in ast.walk(stmt))


def _check_function(tree: ast.Module) -> ast.FunctionDef | None:
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == CHECK_NAME]
    return found[-1] if found else None


def _check_unit(test: str, entry_point: str) -> dict[str, Any] | None:
    """One outcome per top-level assert of ``check``; setup statements ride along as non-test steps.
    None when the test is not a parsable HumanEval-style ``check``."""
    try:
        tree = ast.parse(test)
    except _UNPARSABLE:
        return None
    check = _check_function(tree)
    if check is None:
        return None
    whole = {"kind": "call_check", "module": test, "label": f"check({entry_point})"}
    if not check.args.args:
        return whole
    param = check.args.args[0].arg
    steps = [{"src": ast.unparse(stmt), "is_test": _asserts(stmt)} for stmt in check.body]
    if not any(step["is_test"] for step in steps) or not all(_compiles(str(s["src"])) for s in steps):
        return whole
    module = ast.unparse(ast.Module(body=[n for n in tree.body if n is not check], type_ignores=[]))
    labels = [str(step["src"]) for step in steps if step["is_test"]]
    return {"kind": "steps", "module": module, "param": param, "steps": steps, "labels": labels}


def plan_units(tests: Sequence[str], entry_point: str | None) -> list[dict[str, Any]]:
    """The units to run, in order; each unit reports one or more labelled outcomes."""
    units: list[dict[str, Any]] = []
    for test in tests:
        unit = _check_unit(test, entry_point) if entry_point else None
        units.append(unit or {"kind": "code", "src": test, "label": test.strip()})
    return units


def unit_labels(unit: dict[str, Any]) -> list[str]:
    """The outcome labels a unit produces (used to mark units that never ran)."""
    if unit["kind"] == "steps":
        return list(unit["labels"])
    return [str(unit["label"])]
