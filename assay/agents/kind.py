"""Guess a task's kind from its wording, so a bare question picks the right prompt and verifier.

Rules on purpose: no model call, predictable, and ``Task.kind`` set by the caller (a dataset, ``--kind``)
always wins. Naming a language is not a programming request ("What is Python?", "Who created the Java
programming language?"): code needs a request to write, fix or explain code, or code itself. Labelled
questions in ``benchmarks/signals/kinds.jsonl`` keep the rules honest (tests/unit/test_signals_kind.py).
"""

from __future__ import annotations

import re

from assay.state import TaskKind

_CODE_ITSELF = re.compile(r"```|^\s*(def|class)\s+\w+|^\s*(import|from)\s+\w+|\bdef \w+\(|>>> \w+\(", re.MULTILINE)
_CODE_ARTIFACT = r"(function|program|script|code|class|method|regex|regular expression|sql query|unit tests?|algorithm)"
_CODE_REQUEST = re.compile(
    r"\b(write|implement|create|code|generate|build|fix|debug|refactor|complete|return)\b[^.?!]{0,60}?\b"
    + _CODE_ARTIFACT
    + r"\b|\b(a|the) (python |javascript |java |rust |c\+\+ |go )?(function|method) (that|which|to|called|named)\b"
    r"|\bin (python|javascript|typescript|rust|java|c\+\+|go|bash)\b.*\b(write|implement|code|print|sort|reverse)\b"
    r"|\b(write|implement)\b.*\bin (python|javascript|typescript|rust|java|c\+\+|go|bash)\b",
    re.IGNORECASE,
)
_ARITH = re.compile(r"\d\s*[-+*/x×÷^]\s*\d|\d\s*%|\bsquare root\b|\d+\s*(?:squared|cubed)\b", re.IGNORECASE)
_MATH_WORDS = re.compile(
    r"\b(how (many|much|far|long|old)|calculate|compute|sum|product|total|average|mean|percent|solve|"
    r"remainder|multiply|multiplied|divide[sd]?|divided|equation|each|per|times|costs?|dollars?|cents|twice|"
    r"half|left|remain(s|ing)?|altogether|more than|less than|fewer|speed|rate|area|perimeter|what is \d)\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d")
_FACTOID = re.compile(
    r"^\s*(who|whom|whose|when|where|which|in (what|which)|name the|how (many|much|old|tall|long|far|big)|"
    r"what (year|country|city|language|planet|element|is the|was the|are the|were the|did|does))\b",
    re.IGNORECASE,
)
_DEFINITION = re.compile(r"^\s*what (is|are) (an? )?[\w .+#-]{1,40}\?*\s*$", re.IGNORECASE)
_OPEN = re.compile(
    r"^\s*(why|how (do|does|did|can|could|should|would|to|is|are)|explain|describe|compare|discuss|summari[sz]e|"
    r"tell me about|what do you think|write (a|an|me) (poem|story|essay|letter|haiku|song|email)|give me|"
    r"what (is|are) the (differences?|benefits|advantages|disadvantages|pros|cons|meaning|purpose|role|"
    r"importance|best way|main ideas?))\b",
    re.IGNORECASE,
)
MAX_FACTOID_CHARS = 200


def detect_kind(question: str) -> TaskKind:
    """``code`` for programming requests or code, ``math`` for arithmetic and numeric word problems, ``qa``
    for short factual questions, ``open`` for everything else (explanations, definitions, writing)."""
    text = question.strip()
    if _CODE_ITSELF.search(text) or _CODE_REQUEST.search(text):
        return "code"
    if _DIGITS.search(text) and (_ARITH.search(text) or _MATH_WORDS.search(text)):
        return "math"
    if _OPEN.search(text):
        return "open"
    if _FACTOID.search(text) and len(text) <= MAX_FACTOID_CHARS:
        return "qa"
    if _DEFINITION.match(text):
        return "open"
    if text.endswith("?") and len(text.split()) <= 12 and re.match(r"^\s*(what|who|which)\b", text, re.I):
        return "qa"
    return "open"
