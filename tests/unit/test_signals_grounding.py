"""Span grounding (agents/_grounding.py): a short QA answer the retrieved passages lack counts against it; one
they hold is no support (failure-only), and grounding never refutes. Candidates use the solver's real format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.agents._extract import extract_answer
from assay.agents._grounding import grounded, passage_text
from assay.agents.verifier import verify
from assay.context import RunContext
from assay.errors import SearchError
from assay.settings import load_settings
from assay.signals.scoring import evidence_status, refresh
from assay.state import Candidate, RunState, Task
from assay.testing import FakeLLM
from assay.tools.types import Passage, Retriever

AUSTEN = "Pride and Prejudice is an 1813 novel of manners by English author Jane Austen."
QUESTION = "Who wrote Pride and Prejudice?"
TASK = Task(question=QUESTION, kind="qa")


class Shelf:
    def __init__(self) -> None:
        self.queries: list[str] = []

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        self.queries.append(query)
        return [Passage(id="p1", title="Pride and Prejudice", text=AUSTEN, score=1.0)]


def cand(cid: str, text: str) -> Candidate:
    return Candidate(id=f"r0-solver-{cid}", text=text, answer=extract_answer(text, "qa"))


def context(tmp_path: Path, shelf: Retriever, **overrides: object) -> RunContext:
    settings = load_settings(home=tmp_path, **overrides)
    return RunContext(settings=settings, llm=FakeLLM(default="unknown").client(), retriever=shelf)


async def verified(ctx: RunContext, *cands: Candidate) -> dict[str, Any]:
    """The verify node's update for ``cands`` as round-0 candidates of the Pride and Prejudice question."""
    return await verify(RunState(task=TASK, candidates=list(cands)), ctx)


def test_a_span_is_grounded_as_whole_words_and_long_answers_are_undecided() -> None:
    text = passage_text([Passage(id="p", title="Pride and Prejudice", text=AUSTEN, score=1.0)])
    assert grounded("Jane Austen.", text) is True
    assert grounded("1813", text) is True and grounded("the year 1813", text) is False
    assert grounded("Charles Dickens", text) is False
    assert grounded("Aus", text) is False  # a word fragment is not a span
    assert grounded("Jane Austen wrote it in the year 1813 in England", text) is None  # a sentence: undecided
    assert grounded("", text) is None


async def test_an_ungrounded_answer_ranks_below_a_grounded_one_with_the_same_signals(tmp_path: Path) -> None:
    right = cand("0", "Answer: Jane Austen\nShe wrote it.\nConfidence: 80%")
    wrong = cand("1", "Answer: Charles Dickens\nHe wrote it.\nConfidence: 80%")
    shelf = Shelf()
    update = await verified(context(tmp_path, shelf), right, wrong)
    ground = {e.candidate_id: e for e in update["evidence"] if e.tool == "grounding"}
    assert ground[right.id].passed is True and ground[wrong.id].passed is False
    assert shelf.queries.count(QUESTION) == 1  # one retrieval for the question serves every candidate
    state = RunState(task=TASK, candidates=[right, wrong], evidence=update["evidence"])
    scored = {c.id: c for c in refresh(state.candidates, state)}
    assert scored[right.id].scores.evidence is None  # a grounded span is no support: its pass is not counted
    assert scored[wrong.id].scores.evidence == 0.0
    assert (scored[right.id].scores.total or 0) > (scored[wrong.id].scores.total or 0)
    assert evidence_status(wrong, state.evidence, "qa", QUESTION) == "contested"  # against, never refuted
    assert evidence_status(right, state.evidence, "qa", QUESTION) == "unverified"


async def test_a_copy_of_a_checked_answer_shares_its_grounding(tmp_path: Path) -> None:
    first = cand("0", "Answer: Charles Dickens\nHe did.\nConfidence: 80%")
    copy = cand("1", "Answer: charles dickens\nHe did.\nConfidence: 70%")
    done = await verified(context(tmp_path, Shelf()), first)
    later = RunState(task=TASK, candidates=[first, copy], evidence=done["evidence"])
    update = await verify(later, context(tmp_path, Shelf()))
    shared = [e for e in update["evidence"] if e.candidate_id == copy.id and e.tool == "grounding"]
    assert [(e.id, e.passed) for e in shared] == [(f"ev-{copy.id}-grounding", False)]


async def test_grounding_can_be_switched_off(tmp_path: Path) -> None:
    wrong = cand("1", "Answer: Charles Dickens\nHe wrote it.\nConfidence: 80%")
    shelf = Shelf()
    update = await verified(context(tmp_path, shelf, qa_grounding=False), wrong)
    assert not [e for e in update["evidence"] if e.tool == "grounding"]
    assert QUESTION not in shelf.queries


class Broken:
    async def search(self, query: str, k: int = 5) -> list[Passage]:
        raise SearchError("index unreadable")


async def test_a_failed_retrieval_leaves_grounding_undecided_and_the_claim_check_standing(tmp_path: Path) -> None:
    wrong = cand("1", "Answer: Charles Dickens\nHe wrote it.\nConfidence: 80%")
    update = await verified(context(tmp_path, Broken()), wrong)
    assert [e.tool for e in update["evidence"]] == ["factcheck"]  # no grounding verdict without passages
    assert update["evidence"][0].details.get("error") is None  # the claim check ran: "unknown", not a failure


async def test_copies_of_one_answer_in_a_round_share_one_lookup(tmp_path: Path) -> None:
    first = cand("0", "Answer: Charles Dickens\nHe did.\nConfidence: 80%")
    copy = cand("1", "Answer: charles dickens\nHe did.\nConfidence: 70%")
    shelf = Shelf()
    update = await verified(context(tmp_path, shelf), first, copy)
    assert {e.candidate_id for e in update["evidence"] if e.tool == "grounding"} == {first.id, copy.id}
    assert shelf.queries.count(QUESTION) == 1
    assert len([q for q in shelf.queries if "Dickens" in q]) == 1  # the claim check and grounding share it
