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
_ARROW = re.compile(
    r"^\s*(?P<call>[A-Za-z_]\w*\(.*\))\s*(?:==|➞|=>|->|→|returns?|should return|=(?!=))\s*(?P<want>.+?)\s*$"
)
# Results some prompts write the JavaScript way (HumanEval/76: ``is_simple_power(1, 4) => true``).
_LITERALS = {"true": "True", "false": "False", "null": "None", "none": "None"}


def _parses(line: str) -> bool:
    try:
        ast.parse(line)
    except (SyntaxError, ValueError):
        return False
    return True


def _free_names(text: str, *, call: bool = False) -> set[str] | None:
    """Names an expression reads (None: not an expression, or with ``call`` not one call). An example with
    free names (``f(n)``) is prose."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return None
    if call and not isinstance(tree.body, ast.Call):
        return None  # ``>>> f(2) == 4`` then ``True``: the comparison is not the call
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _assertion(call: str, want: str, entry: str | None) -> str | None:
    """``assert call == want`` when ``call`` is one call of ``entry`` on literals and ``want`` a literal."""
    call, want = call.strip(), want.strip().rstrip(".,;").strip()
    want = _LITERALS.get(want.lower(), want)
    names = _free_names(call, call=True)
    if not want or names is None or _free_names(want) != set() or (entry is not None and names != {entry}):
        return None
    return f"assert {call} == {want}"


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
    """Assert lines from the examples in ``prompt`` (only calls of ``entry_point`` when it is given); an
    example whose call or result reads a free name (``f(n)``, ``== x``) is prose and skipped."""
    lines = prompt.splitlines()
    found = [_assertion(expr, want, entry_point) for expr, want in _doctest_pairs(lines)]
    for line in lines:
        if m := _ARROW.match(line.replace(">>>", "").strip().lstrip("#").strip()):
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
