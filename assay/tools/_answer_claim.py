"""Turn a question and its short answer into one checkable sentence (the claim a fact check must test).

"Who wrote Pride and Prejudice?" + "Jane Austen" -> "Jane Austen wrote Pride and Prejudice." A fact check
of the solver's justification says nothing about the answer: a passage that supports "Pride and Prejudice
is a novel" supports a refusal just as well. Only the answer's claim is checked (B1, CRITIC; B16 atomic
facts), and its support must name the answer itself (``answer_terms``).
"""

from __future__ import annotations

import re

from assay.tools.corpus import tokenize

_WHO = re.compile(r"^who\s+(?!is\b|was\b|are\b|were\b)(?P<rest>.+)$", re.IGNORECASE)
_IS = re.compile(r"^(?:what|who|which)\s+(?P<verb>is|was|are|were)\s+(?P<rest>.+)$", re.IGNORECASE)
_WHEN = re.compile(r"^when\s+(?P<aux>was|were|did|is)\s+(?P<rest>.+)$", re.IGNORECASE)
_WHERE = re.compile(r"^where\s+(?P<aux>is|was|are|were)\s+(?P<rest>.+)$", re.IGNORECASE)
_WHICH = re.compile(r"^(?:what|which)\s+(?P<noun>\w+)\s+(?P<rest>.+)$", re.IGNORECASE)
_IN_WHAT = re.compile(r"^in\s+(?:what|which)\s+(?P<noun>\w+)\s+(?:was|were|did|is)\s+(?P<rest>.+)$", re.IGNORECASE)
_TRAILING = re.compile(r"[\s?.!]+$")


def _clean_answer(answer: str) -> str:
    return _TRAILING.sub("", answer.strip().strip("*").strip())


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] + "."


def answer_claim(question: str, answer: str) -> str | None:
    """The question restated as a declarative sentence with the answer filled in; None for an empty answer.

    Covers the common factoid forms (who, what is, when, where, which N, in what year); anything else becomes
    "The answer to 'QUESTION' is ANSWER.", which still names both the question's and the answer's terms.
    """
    ans = _clean_answer(answer)
    if not ans:
        return None
    q = " ".join(question.strip().split())
    q = _TRAILING.sub("", q)
    if m := _WHO.match(q):
        return _sentence(f"{ans} {m['rest']}")
    if m := _IS.match(q):
        rest = m["rest"]
        return _sentence(f"{rest} {m['verb']} {ans}")
    if m := _WHEN.match(q):
        head, _, last = m["rest"].rpartition(" ")
        if m["aux"].lower() == "did" or not head:
            return _sentence(f"{m['rest']} in {ans}")
        return _sentence(f"{head} {m['aux']} {last} in {ans}")  # "When was X born" -> "X was born in ..."
    if m := _WHERE.match(q):
        return _sentence(f"{m['rest']} {m['aux']} in {ans}")
    if m := _IN_WHAT.match(q):
        return _sentence(f"{m['rest']} in {ans}")
    if m := _WHICH.match(q):
        return _sentence(f"the {m['noun']} that {m['rest']} is {ans}")
    return f"The answer to '{q}?' is {ans}."


def answer_terms(answer: str) -> set[str]:
    """The answer's own searchable terms: support for the claim must contain all of them."""
    return set(tokenize(_clean_answer(answer)))
