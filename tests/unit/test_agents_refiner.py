"""The refine node: revisions of the reviewed candidate, tried-answer list and temperature ramp (J1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.agents.reader import READER
from assay.agents.refiner import refine, refine_temperature, tried_answers
from assay.context import RunContext
from assay.settings import load_settings
from assay.state import Candidate, Evidence, Review, RunState, Scores, Task
from assay.testing import FakeLLM
from assay.tools.types import Passage


def make_ctx(tmp_path: Path, fake: FakeLLM) -> RunContext:
    settings = load_settings(home=tmp_path, temperature=0.5, temperature_step=0.2)
    return RunContext(settings=settings, llm=fake.client())


def state(round_: int) -> RunState:
    cands = [
        Candidate(id="a", text="Answer: 14", answer="14", scores=Scores(total=0.4)),
        Candidate(id="b", text="Answer: 14.0", answer="14.0", scores=Scores(total=0.3)),
        Candidate(id="c", text="Answer: 9", answer="9", scores=Scores(total=0.2)),
        Candidate(id="r1-refiner-0", text="Answer: 11", answer="11", round=1, scores=Scores(total=0.1)),
    ]
    rev = Review(id="r0-review-a", candidate_id="a", verdict="incorrect", critique="7*2 is wrong",
                 targets=["7*2=14"], evidence_ids=["ev-a"])  # fmt: skip
    ev = [Evidence(id="ev-a", candidate_id="a", tool="program", input="", outcome="gives 12", passed=False)]
    return RunState(task=Task(question="3 bags of 4?", kind="math"), candidates=cands, reviews=[rev], evidence=ev,
                    round=round_)  # fmt: skip


async def test_refine_prompt_has_review_evidence_and_tried_answers(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("A previous attempt", texts=["3*4=12\nAnswer: 12", "Answer: 12"])
    update = await refine(state(1), make_ctx(tmp_path, fake))
    new = update["candidates"]
    assert [c.id for c in new] == ["r1-refiner-1", "r1-refiner-2"]
    assert all(c.parent == "a" and c.origin == "refiner" and c.round == 1 and c.answer == "12" for c in new)
    prompt = fake.requests[0].prompt
    assert "(do not repeat these): 14 | 9 | 11" in prompt
    assert "7*2 is wrong" in prompt and "Focus on: 7*2=14" in prompt and "[ev-a] gives 12" in prompt
    assert "Answer: <number>" in prompt  # the solver's format instructions are kept
    assert fake.requests[0].body["n"] == 2
    assert update["usage"].calls == 1


async def test_temperature_rises_per_round(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("", texts=["Answer: 12"])
    for round_ in (1, 2, 3):
        await refine(state(round_), make_ctx(tmp_path, fake))
    temps = [r.body["temperature"] for r in fake.requests]
    assert temps == pytest.approx([0.7, 0.9, 1.1])
    assert refine_temperature(1.5, 0.5, 4) == 2.0


def test_tried_answers_skip_confirmed_and_code() -> None:
    st = state(1)
    confirmed = [Evidence(id="ok", candidate_id="c", tool="program", input="", outcome="", passed=True)]
    assert tried_answers(st.model_copy(update={"evidence": confirmed})) == ["14", "11"]
    code = st.model_copy(update={"task": Task(question="write f", kind="code")})
    assert tried_answers(code) == []


async def test_refine_without_review_uses_best(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("", texts=["Answer: 12"])
    update = await refine(state(1).model_copy(update={"reviews": []}), make_ctx(tmp_path, fake))
    assert {c.parent for c in update["candidates"]} == {"a"}
    assert "No review available" in fake.requests[0].prompt


class Shelf:
    """A retriever with one passage about Apollo 11."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        self.queries.append(query)
        text = "Apollo 11 landed on the Moon in July 1969."
        return [Passage(id="p1", title="Apollo 11", text=text, score=1.0)]


def qa_state(round_: int, *extra: Candidate) -> RunState:
    cands = [Candidate(id="a", text="Answer: 1972\nConfidence: 60%", answer="1972", scores=Scores(total=0.3)), *extra]
    return RunState(task=Task(question="When did Apollo 11 land?", kind="qa"), candidates=cands, round=round_)


async def test_the_first_qa_revision_adds_an_answer_read_from_the_passages(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("shortest span", texts=["Answer: July 1969\nConfidence: 90%"])
    fake.on("A previous attempt", texts=["Answer: 1972", "Answer: 1970"])
    shelf = Shelf()
    ctx = RunContext(settings=load_settings(home=tmp_path), llm=fake.client(), retriever=shelf)
    update = await refine(qa_state(1), ctx)
    read = [c for c in update["candidates"] if c.origin == READER]
    assert [(c.id, c.answer, c.round) for c in read] == [("r1-reader-0", "July 1969", 1)]
    assert shelf.queries == ["When did Apollo 11 land?"]  # retrieved for the question, not for a guess
    prompt = next(r.prompt for r in fake.requests if "shortest span" in r.prompt)
    assert "[1] Apollo 11: Apollo 11 landed on the Moon in July 1969." in prompt and "A previous attempt" not in prompt
    assert prompt.rstrip().endswith("'Confidence: NN%'.") and "Question: When did Apollo 11 land?" in prompt
    assert update["usage"].calls == 2  # the revision and the reading, counted once each


async def test_the_passages_are_read_once_per_run_and_never_without_a_retriever(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("A previous attempt", texts=["Answer: 1972", "Answer: 1970"])
    read_before = Candidate(id="r1-reader-0", text="Answer: July 1969", answer="July 1969", origin=READER, round=1)
    ctx = RunContext(settings=load_settings(home=tmp_path), llm=fake.client(), retriever=Shelf())
    update = await refine(qa_state(2, read_before), ctx)
    assert all(c.origin != READER for c in update["candidates"]) and update["usage"].calls == 1
    bare = RunContext(settings=load_settings(home=tmp_path), llm=fake.client())
    update = await refine(qa_state(1), bare)
    assert all(c.origin != READER for c in update["candidates"]) and update["usage"].calls == 1
