"""Find the explicit calculations in a worked solution ("3 * 4 = 12", GSM8K's "<<3*4=12>>").

Each equation becomes ``(lhs, rhs, text)`` with both sides normalized to plain Python arithmetic (``×``, ``x``,
``÷``, ``−``, ``^``, ``$``, thousands commas and ``%`` rewritten). Nothing is evaluated here: the program
built from them runs only in the sandbox (``program.extract_arithmetic``).
"""

from __future__ import annotations

import re
import warnings

_ANNOTATION = re.compile(r"<<([^<>=]+)=([^<>]+)>>")
_ALLOWED = set("0123456789.,+-*/()%$ x×÷−–^·")
_OPERATOR = re.compile(r"\d\s*\)?\s*[-+*/]+\s*\(?\s*[\d(]")
_LEADING_NUMBER = re.compile(r"^\s*[-−–]?\$?\d+(?:,\d{3})*(?:\.\d+)?%?")
_BULLET = re.compile(r"^\s*[-–−*•]\s+(?=[\d(])")  # "- 17 * 23 = 391" is a list item, not -17 * 23
_TIMES_100 = re.compile(r"[*x×·]\s*100(?:\.0+)?\s*$|^\s*100\s*[*x×·]")
_VALID = re.compile(r"^[\d.\s+\-*/()]+$")
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"(?<=[\d)])\s*[x×·]\s*(?=[\d(])", "*"),
    (r"÷", "/"),
    (r"[−–]", "-"),
    (r"\^", "**"),
    (r"\$", ""),
    (r"(?<=\d),(?=\d{3}\b)", ""),
    (r"(?<=\d)%", "*0.01"),
    (r"(?<![\d.])0+(?=\d)", ""),
)


def normalize(expr: str) -> str | None:
    """Plain Python arithmetic for one side of an equation, or None when it is not pure arithmetic."""
    text = expr.strip()
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    text = text.strip(" ,.")
    while text.count("(") > text.count(")") and text.startswith("("):
        text = text[1:].strip()
    while text.count(")") > text.count("(") and text.endswith(")"):
        text = text[:-1].strip()
    if not text or not _VALID.match(text.replace("**", "*")):
        return None
    try:
        with warnings.catch_warnings():  # "2(3)" compiles with a SyntaxWarning on stderr: not arithmetic either
            warnings.simplefilter("error", SyntaxWarning)
            compile(text, "<arith>", "eval", dont_inherit=True)
    except (SyntaxError, SyntaxWarning, ValueError):
        return None
    return text


def _side(text: str, start: int, step: int) -> str:
    """The maximal run of arithmetic characters from ``start`` walking by ``step`` (stops at '=' and words)."""
    end = start
    while 0 <= end < len(text) and text[end] in _ALLOWED:
        end += step
    run = text[end + 1 : start + 1] if step < 0 else text[start:end]
    return run.lstrip(" x×·,.") if step < 0 else run


def _plain_equations(text: str) -> list[tuple[str, str, str]]:
    found = []
    for match in re.finditer("=", text):
        lhs_raw = _BULLET.sub("", _side(text, match.start() - 1, -1))
        number = _LEADING_NUMBER.match(_side(text, match.end(), 1))  # "2 + 3 = 5 + 4 = 9" is two steps
        rhs_raw = number.group(0) if number else ""
        if rhs_raw.endswith("%") and "%" not in lhs_raw and _TIMES_100.search(lhs_raw):
            rhs_raw = rhs_raw[:-1]  # "84 / 140 * 100 = 60%": the x 100 already made it a percentage
        lhs, rhs = normalize(lhs_raw), normalize(rhs_raw)
        if lhs and rhs and _OPERATOR.search(lhs):
            found.append((lhs, rhs, f"{lhs_raw.strip()} = {rhs_raw.strip()}"))
    return found


def find_equations(solution: str) -> list[tuple[str, str, str]]:
    """(lhs, rhs, original text) for every explicit calculation, in order of appearance."""
    annotated = [
        (lhs, rhs, f"{a.strip()} = {b.strip()}")
        for a, b in _ANNOTATION.findall(solution)
        if (lhs := normalize(a)) and (rhs := normalize(b))
    ]
    return annotated or _plain_equations(solution)
