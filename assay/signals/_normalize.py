"""Per-kind answer normalisation: two answers agree when their normal forms are equal.

Agreement (self-consistency voting) and reference checks both need "the same answer" to survive surface
differences: ``12``, ``12.0`` and ``$12`` are one math answer; ``The Eiffel Tower.`` and ``eiffel tower`` are
one QA answer; two functions that differ only in comments and formatting are one code answer.
"""

from __future__ import annotations

import ast
import re
import string
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from assay.state import TaskKind

# Also what answer extraction reads. Thousands commas only inside a number: "391," is 391, not "391,".
NUMBER = re.compile(r"-?\d(?:[\d,]*\d)?(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_math(answer: str) -> str | None:
    """The last number in the answer as a canonical decimal string (``"12.50"`` -> ``"12.5"``)."""
    found = NUMBER.findall(answer.replace("\u2212", "-"))
    if not found:
        return None
    raw = found[-1].replace(",", "")
    try:
        value = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        return None
    if value.denominator == 1:
        return str(value.numerator)
    try:
        return format(Decimal(value.numerator) / Decimal(value.denominator), "f").rstrip("0").rstrip(".")
    except InvalidOperation:  # pragma: no cover - Fraction already validated the number
        return None


_REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|apolog|i cannot|i can'?t|i can not|i'?m unable|i am unable|unable to (answer|provide|"
    r"determine)|i don'?t know|i do not know|not sure|no information|as an ai|happy to (help|provide)|"
    r"could you (please )?(clarify|provide)|more (specific|context|information)|i'?m not able|cannot be determined|"
    r"there is no (single|definitive|clear) answer)\b",
    re.IGNORECASE,
)
# An answer that opens with assay's own prompt scaffolding was copied from the prompt, not written for the
# question (seen on SQuAD/120-139 with qwen2.5-coder-0.5b: refiner answers "Tool evidence shows errors: ...",
# "Confidence: Part of ...", "To improve the solution, ...", and reader answers "<the shortest span of the
# passages that answers the question>" and "The shortest span of the passages ... is", two of them returned).
_ECHO = re.compile(
    r"^\W*(tool evidence\b|confidence\s*:|(the )?shortest span of the passages\b|to improve the (solution|answer)\b|"
    r"(an )?improved,? complete solution\b|<[^>]*>)",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"\b(?!I\b|I'm\b|I'd\b)[A-Z][\w'-]*|\d")
SHORT_ANSWER_WORDS = 4


def non_answer(answer: str | None, kind: TaskKind, question: str = "") -> str | None:
    """Why ``answer`` is no answer at all (a refusal, an apology, an echo of the prompt, no number for math; a
    long QA reply with no entity or number and, when the ``question`` is known, no word the question does not
    already say), or None when it is a real attempt. Such a candidate can never be confident."""
    if answer is None or not answer.strip():
        return "empty answer"
    if kind == "code":
        return None
    if _REFUSAL.search(answer):
        return "a refusal or apology, not an answer"
    if _ECHO.match(answer):
        return "an echo of the prompt, not an answer"
    if kind == "math" and normalize_math(answer) is None:
        return "no number in the answer"
    long_and_vague = kind == "qa" and len(answer.split()) > SHORT_ANSWER_WORDS and not _ENTITY.search(answer[1:])
    if long_and_vague and not (question and says_more(answer, question)):  # "... live in marine waters" answers
        return "no name, entity or number in the answer"
    return None


_FILLER = frozenset(
    ["to", "and", "or", "for", "on", "at", "by", "with", "as", "it", "its", "their", "they", "we", "you", "he",
     "she", "this", "that", "these", "those", "be", "been", "has", "have", "had", "not", "so", "from", "into",
     "than", "then", "there", "also", "can", "could", "would", "should", "will", "question", "answer",
     "information", "specific", "context", "provided"]
)  # fmt: skip


def says_more(answer: str, question: str) -> bool:
    """The answer has a content word the question does not (plural ``s`` aside): it tells something."""
    asked = {w.rstrip("s") for w in (normalize_answer(question, "qa") or "").split()}
    told = (normalize_answer(answer, "qa") or "").split()
    return any(w.rstrip("s") not in asked and w not in _FILLER and w not in _QWORDS for w in told)


_ANSWER_PREFIX = re.compile(r"^(?:the\s+)?answer(?:\s+to\s+(?:the|this|your)\s+question)?\s+is\s*:?\s*", re.I)
_COPULA = re.compile(r"\s(?:is|was|are|were|by|called|named)\s", re.IGNORECASE)
_QWORDS = frozenset(
    ["who", "what", "when", "where", "which", "whose", "whom", "how", "why", "is", "was", "are", "were", "did",
     "does", "do", "the", "a", "an", "of", "in"]
)  # fmt: skip


def trim_restatement(answer: str, question: str) -> str:
    """The answer without a restatement of the question: "The capital of Japan is Tokyo." -> "Tokyo" for "What
    is the capital of Japan?". Only when the part before the last "is/was/by ..." is made of question words."""
    answer = _ANSWER_PREFIX.sub("", answer.strip()).strip().strip("\"'")
    asked = {w for w in (normalize_qa(question) or "").split() if w not in _QWORDS}
    cuts = list(_COPULA.finditer(answer))
    for cut in reversed(cuts):
        head, tail = answer[: cut.start()], answer[cut.end() :].strip().rstrip(".!")
        head_words = {w for w in (normalize_qa(head) or "").split() if w not in _QWORDS}
        if tail and head_words and head_words <= asked and len(tail.split()) <= SHORT_ANSWER_WORDS + 2:
            return tail
    for cut in cuts:  # "Paris is the capital of France." -> "Paris"
        head, tail = answer[: cut.start()].strip(), answer[cut.end() :]
        tail_words = {w for w in (normalize_qa(tail) or "").split() if w not in _QWORDS}
        if head and tail_words and tail_words <= asked and len(head.split()) <= SHORT_ANSWER_WORDS:
            return head
    return answer


def normalize_qa(answer: str) -> str | None:
    """SQuAD-style: lowercase, drop punctuation and articles, collapse whitespace."""
    text = _ARTICLES.sub(" ", answer.lower().translate(_PUNCT))
    text = " ".join(text.split())
    return text or None


def normalize_code(code: str) -> str | None:
    """An AST dump (formatting, comments and docstrings do not matter); raw stripped text if it won't parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        stripped = "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())
        return stripped or None
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree, annotate_fields=False)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def normalize_answer(answer: str | None, kind: TaskKind) -> str | None:
    """Normal form of ``answer`` for ``kind``; None when there is no usable answer."""
    if answer is None or not answer.strip():
        return None
    if kind == "math":
        return normalize_math(answer)
    if kind == "code":
        return normalize_code(answer)
    return normalize_qa(answer)


def answers_match(answer: str | None, reference: str, kind: TaskKind) -> bool:
    """True when ``answer`` equals ``reference`` after normalisation.

    For QA a reference contained as a whole phrase in a short answer also matches ("Paris, France" vs
    "Paris"), since small models rarely answer with the bare span.
    """
    mine, ref = normalize_answer(answer, kind), normalize_answer(reference, kind)
    if mine is None or ref is None:
        return False
    if mine == ref:
        return True
    if kind == "math":
        return _close(mine, ref)
    if kind in ("qa", "open"):
        return f" {ref} " in f" {mine} " and len(mine.split()) <= len(ref.split()) + 4
    return False


def _close(a: str, b: str) -> bool:
    try:
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    except ValueError:
        return False
