"""Math verifier: run a program (the solver's or one built from its arithmetic) and compare with the claim.

A7 (ProgCo) and B1 (CRITIC) in papers.md: executed programs are external evidence, unlike a model re-reading
its own chain of thought. ``extract_arithmetic`` turns "3 * 4 = 12" steps into asserts, so a wrong step in a
chain of thought becomes a failing program. Programs only ever run in the sandbox.
"""

from __future__ import annotations

import json
import re
import secrets
from fractions import Fraction

from assay.tools._arithmetic import find_equations
from assay.tools.sandbox import run_python_files
from assay.tools.types import ProgramCheck

__all__ = ["check_program", "extract_arithmetic", "parse_number", "same_number"]

_ANSWER_FILE = "answer.json"
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?")
_REL_TOL = 1e-6
_ABS_TOL = 1e-9

# Runs in the sandbox as main.py: the program's own stdout/stderr pass through; ``answer`` goes to a file.
_RUNNER = """\
import json, sys
nonce = sys.stdin.readline().strip()
scope = {"__name__": "__main__"}
exec(compile(open("program.py", encoding="utf-8").read(), "program.py", "exec"), scope)
if "answer" in scope:
    with open("answer.json", "w", encoding="utf-8") as handle:
        json.dump({"nonce": nonce, "answer": str(scope["answer"])[:1000]}, handle)
"""


def parse_number(text: str) -> Fraction | None:
    """The number a short answer states: "1,000", "$5", "3/4", "2.50", "-7", "12%" (as 12), "x = 4.0"."""
    cleaned = text.replace("$", "").replace("€", "").replace("£", "").replace("−", "-").strip()
    matches = _NUMBER.findall(cleaned)
    if not matches:
        return None
    token = matches[-1].replace(",", "").replace(" ", "")
    try:
        if "/" in token:
            numerator, denominator = token.split("/")
            return Fraction(numerator) / Fraction(denominator)
        return Fraction(token)
    except (ValueError, ZeroDivisionError):
        return None


def same_number(a: Fraction, b: Fraction) -> bool:
    """Equal up to float noise (a program's 0.30000000000000004 is the claimed 0.3)."""
    return abs(a - b) <= max(_ABS_TOL, _REL_TOL * max(abs(a), abs(b)))


def _matches(value: str, claimed: str) -> bool:
    ours, theirs = parse_number(value), parse_number(claimed)
    if ours is not None and theirs is not None:
        return same_number(ours, theirs)
    return value.strip().lower() == claimed.strip().strip("$").lower()


def _last_number(stdout: str) -> str | None:
    found = _NUMBER.findall(stdout)
    return found[-1].strip() if found else None


def _answer(raw: bytes | None, nonce: str) -> str | None:
    try:
        record = json.loads(raw or b"")
    except ValueError:
        return None
    return str(record["answer"]) if isinstance(record, dict) and record.get("nonce") == nonce else None


def _failure(stderr: str, killed_reason: str | None) -> str:
    if killed_reason:
        return f"program killed ({killed_reason})"
    lines = stderr.strip().splitlines()
    return lines[-1][:500] if lines else "program failed"


async def check_program(
    program: str, claimed: str | None, *, timeout_s: float = 5.0, allow_weak: bool = False
) -> ProgramCheck:
    """Value = the program's ``answer`` variable, else the last number it printed; compared with ``claimed``."""
    nonce = secrets.token_hex(16)
    result, files = await run_python_files(
        _RUNNER,
        timeout_s=timeout_s,
        files={"program.py": program},
        stdin=nonce + "\n",
        allow_weak=allow_weak,
        collect=[_ANSWER_FILE],
        max_output_bytes=64 * 1024,
    )
    if not result.ok:
        return ProgramCheck(
            value=None, matches=None, stdout=result.stdout, error=_failure(result.stderr, result.killed_reason)
        )
    value = _answer(files.get(_ANSWER_FILE), nonce) or _last_number(result.stdout)
    if value is None:
        return ProgramCheck(value=None, matches=None, stdout=result.stdout, error="program printed no number")
    matches = None if claimed is None else _matches(value, claimed)
    return ProgramCheck(value=value, matches=matches, stdout=result.stdout)


def extract_arithmetic(solution_text: str) -> str | None:
    """A program asserting each explicit calculation of a solution and setting ``answer`` to the last result.

    None when the text has no checkable calculation. A wrong step makes the program fail with every wrong
    equation listed, e.g. ``AssertionError: 3 * 4 = 13 (computed 12)``.
    """
    equations = find_equations(solution_text)
    if not equations:
        return None
    lines = [
        "failures = []",
        "def exact(value):",  # 1234567, not 1.23457e+06: the refiner copies this value into a repair
        "    return str(int(value)) if float(value).is_integer() else repr(round(value, 10))",
        "def wrong(computed, stated):",  # whole numbers compare exactly; fractions with a relative tolerance
        "    if float(computed).is_integer() and float(stated).is_integer():",
        "        return computed != stated",
        f"    return abs(computed - stated) > max({_ABS_TOL!r}, {_REL_TOL!r} * max(abs(computed), abs(stated)))",
        "def step(computed, stated, text):",
        "    if wrong(computed, stated):",
        "        failures.append(f'{text} (computed {exact(computed)})')",
    ]
    lines += [f"step(({lhs}), ({rhs}), {text!r})" for lhs, rhs, text in equations]
    lines += [f"answer = {equations[-1][0]}", "print(answer)", "assert not failures, '; '.join(failures)"]
    return "\n".join(lines) + "\n"
