"""Span grounding for QA: is the short answer a verbatim span of the passages retrieved for it?

An extractive answer the passages do not contain is almost never right; one they contain is often still wrong
(a passage holds many spans). Measured on recorded SQuAD runs with no model calls
(``benchmarks/signals/span_grounding.py``, held-in, qwen2.5-coder-0.5b): 5 of 472 ungrounded candidates were
right against 7 of 26 grounded ones, AUC 0.64-0.83. So a miss is evidence against the answer and a hit is no
support: ``grounding`` is a failure-only tool (its passes are not counted) and never decisive (a right answer
worded otherwise than its passage must not be refuted). Long answers (sentences, lists) are left undecided.
The passages are the top ones for the question and for the answer's claim ("The capital of France is
Paris."): on the general offline corpus the question alone often misses the answer's article (14 of 40
right answers of the signals set were ungrounded, 4 of 40 with the claim's passages added; on SQuAD both
give 12-13 right picks of 100 against 9 recorded). This is the retrieval-grounded check of CRITIC (B1) at its
cheapest: no model call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from assay.signals._normalize import normalize_answer
from assay.state import Candidate, Evidence
from assay.tools._answer_claim import answer_claim
from assay.tools.factcheck import retrieve
from assay.tools.types import Passage, Retriever

TOOL = "grounding"
MAX_WORDS = 6  # a longer answer is a sentence, not a span: left undecided
PASSAGES = 3  # the top passages retrieved for the question and for the claim, as measured


def passage_text(passages: Sequence[Passage]) -> str:
    """The passages as one normalised string (titles included, `` | `` between them: no span crosses one)."""
    return " | ".join(normalize_answer(f"{p.title} {p.text}", "qa") or "" for p in passages)


class Grounder:
    """The lookups of one verify round: the question's passages fetched once, on first need, and each distinct
    answer's claim passages once (copies of an answer share them). A failed retrieval gives no passages, so
    the answer is left undecided, and the claim check beside it is untouched."""

    def __init__(self, question: str, retriever: Retriever) -> None:
        self.question, self.retriever = question, retriever
        self._asked: asyncio.Task[str] | None = None
        self._texts: dict[str, asyncio.Task[str]] = {}

    async def question_text(self) -> str:
        if self._asked is None:
            self._asked = asyncio.ensure_future(self._passages(self.question))
        return await self._asked

    async def text(self, answer: str) -> str:
        """The passages for the question and for ``answer``'s claim, normalised; "" when there are none."""
        key = normalize_answer(answer, "qa") or answer
        if key not in self._texts:
            self._texts[key] = asyncio.ensure_future(self._text(answer))
        return await self._texts[key]

    async def evidence(self, cand: Candidate) -> Evidence | None:
        return grounding_evidence(cand, await self.text(cand.answer or ""))

    async def _text(self, answer: str) -> str:
        claim = answer_claim(self.question, answer)
        texts = [await self.question_text(), await self._passages(claim) if claim else ""]
        return " | ".join(t for t in texts if t)

    async def _passages(self, query: str) -> str:
        return passage_text(await retrieve(self.retriever, query, PASSAGES))


def grounded(answer: str | None, text: str) -> bool | None:
    """True when the normalised answer is a whole-word span of ``text``; None when it is empty or too long."""
    key = normalize_answer(answer or "", "qa") or ""
    if not key or len(key.split()) > MAX_WORDS:
        return None
    return f" {key} " in f" {text} "


def grounding_evidence(cand: Candidate, text: str) -> Evidence | None:
    """A failed ``grounding`` Evidence when the passages lack the answer, a passed one (not counted) when they
    hold it; None when undecided (no passages, or not a short answer)."""
    found = grounded(cand.answer, text) if text else None
    if found is None:
        return None
    said = "appears in" if found else "appears in none of"
    return Evidence(
        id=f"ev-{cand.id}-{TOOL}",
        candidate_id=cand.id,
        tool=TOOL,
        input=normalize_answer(cand.answer or "", "qa") or "",
        outcome=f"the answer {said} the top passages retrieved for the question and for its claim",
        passed=found,
        details={"verdict": "grounded" if found else "ungrounded", "decisive": False},
    )
