"""Pull the final answer, the code and a stated confidence out of a model's free text.

Small models do not follow formats reliably, so every extractor has a fallback and returns None rather
than guessing when nothing usable is there.
"""

from __future__ import annotations

import re

from assay.signals._normalize import NUMBER, trim_restatement
from assay.state import TaskKind

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_ANSWER_LINE = re.compile(r"(?:final\s+)?answer\s*(?:is)?\s*[:=]\s*(.+)", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_CONFIDENCE = re.compile(r"confidence\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s*%", re.IGNORECASE)
# A confidence at the end of the answer line, with or without "%" ("Answer: X. Confidence: 38."): not the answer.
_TRAILING_CONFIDENCE = re.compile(r"[\s(]*confidence\s*[:=]\s*\d{1,3}(?:\.\d+)?\s*%?\s*\)?\.?\s*$", re.IGNORECASE)
_CODE_START = re.compile(r"^\s*(def |class |import |from \S+ import )", re.MULTILINE)
# A step heading ("Step 10:", "**Step 3.**"): its number counts steps, it is no value of the solution.
_STEP_HEADING = re.compile(r"^[ \t>#*_-]*step[ \t]*\d+[ \t]*\**[ \t]*[:.)]", re.IGNORECASE | re.MULTILINE)


def extract_code(text: str) -> str | None:
    """The first python (or untagged) fenced block; else the text from the first ``def``/``import`` on."""
    blocks: list[tuple[str, str]] = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]
    for wanted in ("python", "py", ""):
        for lang, body in blocks:
            if lang == wanted and body.strip():
                return body.strip("\n")
    match = _CODE_START.search(text)
    return text[match.start() :].strip("\n") if match else None


def _answer_line(text: str) -> str | None:
    """The value after the last ``Answer:`` marker (or the last ``\\boxed{}``)."""
    boxed = _BOXED.findall(text)
    if boxed:
        return str(boxed[-1]).strip()
    lines = _ANSWER_LINE.findall(text)
    if lines:
        value = _TRAILING_CONFIDENCE.sub("", _CONFIDENCE.sub("", str(lines[-1]))).strip().strip("*").strip()
        return value or None
    return None


def _numbers(text: str) -> list[str]:
    """Numbers as the normaliser reads them (``3/4`` and ``.5`` whole, not ``3`` and ``5``), ``$`` dropped."""
    return NUMBER.findall(text.replace("$", ""))


def extract_math(text: str) -> str | None:
    """The number after ``Answer:``; else the last number in the text, neither the confidence figure nor a
    step heading's count (a reply cut off at "Step 10: Calculate ..." has not computed 10)."""
    marked = _answer_line(text)
    if marked is not None:
        numbers = _numbers(marked)
        return numbers[0] if numbers else marked
    numbers = _numbers(_STEP_HEADING.sub("", _CONFIDENCE.sub("", text)))
    return numbers[-1] if numbers else None


def extract_short(text: str) -> str | None:
    """QA: the value after ``Answer:``; else the first non-empty line."""
    marked = _answer_line(text)
    if marked is not None:
        return marked
    for line in text.splitlines():
        if line.strip() and not _CONFIDENCE.search(line):
            return line.strip()
    return None


def extract_answer(text: str, kind: TaskKind, question: str | None = None) -> str | None:
    """The candidate's final answer for ``kind`` (code tasks: the code itself). With ``question``, a QA
    answer that restates it ("The capital of Japan is Tokyo.") is cut to the answer ("Tokyo")."""
    if kind == "code":
        return extract_code(text)
    if kind == "math":
        return extract_math(text)
    if kind == "qa":
        short = extract_short(text)
        return trim_restatement(short, question) if short and question else short
    stripped = _CONFIDENCE.sub("", text).strip()
    return stripped or None


def extract_confidence(text: str) -> float | None:
    """A verbalised ``Confidence: NN%`` (A2) as a fraction in [0, 1]; None if absent or out of range."""
    found = _CONFIDENCE.findall(text)
    if not found:
        return None
    value = float(found[-1])
    return value / 100.0 if 0.0 <= value <= 100.0 else None
