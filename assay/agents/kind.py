"""Guess a task's kind from its wording, so a bare question picks the right prompt and verifier.

A heuristic on purpose: it costs no model call, it is predictable, and ``Task.kind`` set by the caller
(a dataset, ``--kind``) always wins over it.
"""

from __future__ import annotations

import re

from assay.state import TaskKind

_CODE = re.compile(
    r"```|^\s*(def|class) \w+|\bdef \w+\(|\b(python|javascript|typescript|rust|java|"
    r"(a|the) function (that|which|to|called|named)|implement (a|an|the)|write (a |an |the )?"
    r"(function|program|script|code|class|method)|unit tests?|return(s)? (a|the) list)\b",
    re.IGNORECASE | re.MULTILINE,
)
_MATH_WORDS = re.compile(
    r"\b(how (many|much)|calculate|compute|sum of|product of|total|average|percent|solve for|"
    r"what is \d|remainder|multiply|divide[sd]?|equation|each|per|times|cost[s]?|dollars?)\b",
    re.IGNORECASE,
)
_ARITH = re.compile(r"\d+\s*[-+*/x×÷^]\s*\d+")
_DIGITS = re.compile(r"\d")
_QA = re.compile(
    r"^\s*(who|what|when|where|which|whose|whom|why|in what|in which|name the|how (many|much|old|tall|long|far))\b",
    re.IGNORECASE,
)


def detect_kind(question: str) -> TaskKind:
    """``code`` for programming requests, ``math`` for numeric word problems, ``qa`` for short factual
    questions, ``open`` for everything else."""
    text = question.strip()
    if _CODE.search(text):
        return "code"
    has_digits = bool(_DIGITS.search(text))
    if _ARITH.search(text) or (has_digits and _MATH_WORDS.search(text)):
        return "math"
    if _QA.search(text) and len(text) <= 300:
        return "qa"
    return "open"
