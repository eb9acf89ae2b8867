"""Runs INSIDE the sandbox as main.py (stdlib only): load the candidate once, run every unit in one process.

Each outcome is appended to ``results.jsonl`` and flushed at once, so a later hang or crash still leaves the
earlier results for the parent. Every line carries the nonce read from stdin (a printed or naively written
fake result line is ignored). One failing test never hides the others: each runs in its own try/except.
"""

from __future__ import annotations

import ast
import json
import linecache
import sys
import traceback
from collections.abc import Iterator
from typing import Any

CANDIDATE = "candidate.py"
SPEC = "plan.json"
RESULTS = "results.jsonl"
MAX_FRAMES = 4
MAX_REPR = 200


def _register(name: str, source: str) -> str:
    """Make test sources visible to traceback formatting (they are not files)."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return name


def _trimmed_traceback(exc: BaseException) -> str:
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if f.filename == CANDIDATE or f.filename[:5] == "<test"
    ]
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}' for f in frames]
    last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return "\n".join([*lines[-MAX_FRAMES:], last[:500]])


def _got_value(src: str, scope: dict[str, Any]) -> str:
    """For a bare ``assert left == right`` report what ``left`` actually was: the refiner needs it."""
    try:
        node = ast.parse(src).body[0]
        if not (isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and node.msg is None):
            return ""
        value = eval(compile(ast.Expression(node.test.left), "<got>", "eval"), scope)
        return f" (got {repr(value)[:MAX_REPR]})"
    except Exception:
        return ""


def _outcome(label: str, src: str, scope: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        exec(compile(src, _register(name, src), "exec"), scope)
    except BaseException as exc:  # SystemExit from the candidate is a failure too
        if isinstance(exc, KeyboardInterrupt):
            raise
        got = _got_value(src, scope) if isinstance(exc, AssertionError) else ""
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        first = src.strip().splitlines()[0] if src.strip() else ""
        return {
            "test": label,
            "passed": False,
            "error": f"{first} -> {error}{got}"[:1000],
            "traceback": _trimmed_traceback(exc),
        }
    return {"test": label, "passed": True}


def _run_steps(unit: dict[str, Any], base: dict[str, Any], fn: Any, index: int) -> Iterator[dict[str, Any]]:
    """The check body statement by statement: asserts are outcomes, the rest is setup for the next ones."""
    scope = dict(base)
    setup = _outcome("setup", unit["module"], scope, f"<test {index}>")
    scope[unit["param"]] = fn
    broken = None if setup["passed"] else setup["error"]
    for k, step in enumerate(unit["steps"]):
        if not step["is_test"]:
            if broken is None:
                outcome = _outcome("setup", step["src"], scope, f"<test {index}.{k}>")
                broken = None if outcome["passed"] else outcome["error"]
        elif broken is not None:
            yield {"test": step["src"], "passed": False, "error": f"setup failed: {broken}"}
        else:
            yield _outcome(step["src"], step["src"], scope, f"<test {index}.{k}>")


def _run_unit(unit: dict[str, Any], base: dict[str, Any], entry: str | None, index: int) -> Iterator[dict[str, Any]]:
    if unit["kind"] == "code":
        yield _outcome(unit["label"], unit["src"], dict(base), f"<test {index}>")
        return
    fn = base.get(entry or "")
    if fn is None:
        for label in unit.get("labels") or [unit["label"]]:
            yield {"test": label, "passed": False, "error": f"entry point {entry!r} is not defined"}
    elif unit["kind"] == "steps":
        yield from _run_steps(unit, base, fn, index)
    else:
        scope = {**base, "__candidate__": fn}
        yield _outcome(unit["label"], unit["module"] + "\ncheck(__candidate__)\n", scope, f"<test {index}>")


def main() -> None:
    nonce = sys.stdin.readline().strip()
    with open(SPEC, encoding="utf-8") as handle:
        spec = json.load(handle)
    out = open(RESULTS, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the whole run

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps({**record, "nonce": nonce}) + "\n")
        out.flush()

    with open(CANDIDATE, encoding="utf-8") as handle:
        source = handle.read()
    base: dict[str, Any] = {"__name__": "__candidate__"}
    try:
        exec(compile(source, CANDIDATE, "exec"), base)
    except BaseException as exc:
        emit({"candidate_error": f"{type(exc).__name__}: {exc}"[:1000], "traceback": _trimmed_traceback(exc)})
        return
    for index, unit in enumerate(spec["units"]):
        for outcome in _run_unit(unit, base, spec["entry_point"], index):
            emit({"unit": index, **outcome})


if __name__ == "__main__":
    main()
