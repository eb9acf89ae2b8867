"""Tests a code task already shows: its docstring examples, and assert lines a model wrote for it.

A HumanEval-style prompt states examples the function must satisfy (``>>> f(2)`` then ``4``, or ``f(2) == 4``,
``f(2) ➞ 4``, ``f(2) -> 4`` lines). They are part of the prompt, so checking candidates against them is
honest: a run never sees hidden tests. Every test returned here is one ``assert`` line that parses.
"""

from __future__ import annotations

import ast
import re

MAX_TESTS = 12
_PROMPT = re.compile(r"^\s*>>>\s?(?P<expr>.+)$")
_ARROW = re.compile(r"^\s*(?P<call>[A-Za-z_]\w*\(.*\))\s*(?:==|➞|=>|->|→|returns|should return)\s*(?P<want>.+?)\s*$")


def _parses(line: str) -> bool:
    try:
        ast.parse(line)
    except (SyntaxError, ValueError):
        return False
    return True


def _assertion(call: str, want: str, entry: str | None) -> str | None:
    call, want = call.strip(), want.strip().rstrip(".,;")
    if entry is not None and not re.search(rf"\b{re.escape(entry)}\s*\(", call):
        return None
    line = f"assert {call} == {want}"
    return line if _parses(line) else None


def _doctest_pairs(lines: list[str]) -> list[tuple[str, str]]:
    """(expression, expected output) for each ``>>>`` line followed by a non-empty, non-prompt output line."""
    pairs = []
    for i, line in enumerate(lines):
        found = _PROMPT.match(line)
        if not found or i + 1 >= len(lines):
            continue
        want = lines[i + 1].strip()
        if want and not want.startswith(">>>") and not want.startswith("Traceback"):
            pairs.append((found["expr"], want))
    return pairs


def docstring_tests(prompt: str, entry_point: str | None = None) -> list[str]:
    """Assert lines from the examples in ``prompt`` (only calls of ``entry_point`` when it is given)."""
    lines = prompt.splitlines()
    found = [_assertion(expr, want, entry_point) for expr, want in _doctest_pairs(lines)]
    for line in lines:
        if _PROMPT.match(line):
            continue
        if m := _ARROW.match(line.strip().lstrip("#").strip()):
            found.append(_assertion(m["call"], m["want"], entry_point))
    return list(dict.fromkeys(t for t in found if t))[:MAX_TESTS]


def parse_asserts(text: str, entry_point: str | None, limit: int = MAX_TESTS) -> list[str]:
    """The single-line ``assert`` statements in a model's reply that call ``entry_point`` and parse."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("assert ") or (entry_point and f"{entry_point}(" not in line):
            continue
        if _parses(line) and line not in out:
            out.append(line)
        if len(out) >= limit:
            break
    return out


def entry_point_of(prompt: str) -> str | None:
    """The last top-level function a prompt defines (HumanEval puts helpers first), else the first mentioned."""
    names = re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", prompt, re.MULTILINE)
    if names:
        return str(names[-1])
    named = re.search(r"\bdef\s+([A-Za-z_]\w*)\s*\(|`([A-Za-z_]\w*)\(", prompt)
    return str(named.group(1) or named.group(2)) if named else None
