"""The adaptive graph with the real agent nodes on a scripted FakeLLM: easy, improve, crash/resume, budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from assay.agents.reader import READER
from assay.agents.refiner import refine
from assay.context import RunContext
from assay.graphs.adaptive import build_adaptive
from assay.graphs.registry import register_graph
from assay.runtime import run
from assay.settings import Settings
from assay.signals.verdict import verdict
from assay.state import Budget, RunState, Task
from assay.testing import FakeLLM
from assay.tools.types import Passage

TASK = Task(question="What is 2 + 2?", kind="math", reference="4")
SOLVER, REVIEWER, REFINER = "Solve this problem", "You review a proposed solution", "You improve a solution"
SOLVER_ONLY = "You are a careful problem solver"  # the refiner prompt quotes the task prompt, not this


def generator(solver_texts: list[str]) -> FakeLLM:
    fake = FakeLLM(default="no idea")
    fake.on(REFINER, texts=["2 + 2 = 4\nAnswer: 4\nConfidence: 95%"], logprob=-0.05)  # before SOLVER: it quotes it
    fake.on(SOLVER, texts=solver_texts, logprob=-0.3)
    return fake


def judge() -> FakeLLM:
    return FakeLLM().on_classify("Final answer: 4", p_yes=0.97).on_classify("Final answer:", p_yes=0.1)


def count(fake: FakeLLM, prefix: str) -> int:
    return sum(prefix in r.prompt for r in fake.requests)


@pytest.fixture
async def wrong_solver(tmp_path: Path) -> AsyncIterator[tuple[FakeLLM, RunContext]]:
    fake = generator(["2 + 2 = 5\nAnswer: 5\nConfidence: 90%", "2 + 2 = 6\nAnswer: 6\nConfidence: 40%"])
    async with fake.client() as llm, judge().client() as jc:
        yield fake, RunContext(settings=Settings(samples=4, checkpoint_path=tmp_path / "cp.sqlite"), llm=llm, judge=jc)


async def test_confirmed_greedy_answer_with_real_nodes_makes_one_greedy_solver_request(tmp_path: Path) -> None:
    fake = generator(["2 + 2 = 4\nAnswer: 4\nConfidence: 95%"])
    async with fake.client() as llm, judge().client() as jc:
        ctx = RunContext(settings=Settings(samples=4, checkpoint_path=tmp_path / "cp.sqlite"), llm=llm, judge=jc)
        state = await run(TASK, ctx=ctx)
    assert state.stopped_by == "easy" and state.answer == "4"  # a decisive math tool confirmed the greedy answer
    assert count(fake, SOLVER_ONLY) == 1 and count(fake, REVIEWER) == 0 and count(fake, REFINER) == 0
    solver = next(r.body for r in fake.requests if SOLVER_ONLY in r.prompt)
    assert solver.get("n", 1) == 1 and solver["temperature"] == 0.0
    assert (state.routes[0].source, state.routes[0].target) == ("probe", "aggregate")
    assert state.best is not None and (state.best.scores.total or 0) >= 0.8  # tallied from the evidence, no judge


async def test_hard_with_real_nodes_refined_answer_wins(wrong_solver: tuple[FakeLLM, RunContext]) -> None:
    fake, ctx = wrong_solver
    state = await run(TASK, ctx=ctx)
    # math: the arithmetic was re-run on the greedy answer (refuted: sample more) and on the samples before scoring
    assert [r.target for r in state.routes[:2]] == ["widen", "review"]
    assert {e.candidate_id for e in state.evidence} >= {c.id for c in state.round_candidates(0)}
    assert state.best is not None and state.best.origin == "refiner" and state.answer == "4"
    assert state.stopped_by in ("confident", "no_improvement", "max_rounds")
    assert state.flips.wrong_to_right >= 1 and state.flips.right_to_wrong == 0
    assert state.evidence and state.reviews and count(fake, REFINER) >= 1


async def test_resume_with_real_nodes_does_not_repeat_finished_requests(
    wrong_solver: tuple[FakeLLM, RunContext],
) -> None:
    fake, ctx = wrong_solver
    crashed: list[bool] = []

    async def flaky_refine(state: RunState, c: RunContext) -> dict[str, Any]:
        if not crashed:
            crashed.append(True)
            raise ConnectionError("worker died")
        return await refine(state, c)

    name = "adaptive-flaky-refine"
    register_graph(name, lambda human=False: build_adaptive(human=human, refine=flaky_refine), "test")
    with pytest.raises(ConnectionError):
        await run(TASK, graph=name, ctx=ctx, thread_id="flaky")
    before = len(fake.requests)
    state = await run(TASK, graph=name, ctx=ctx, thread_id="flaky")
    assert state.answer == "4"
    assert count(fake, SOLVER_ONLY) == 2  # greedy + the widening samples; the solver never ran again
    assert REFINER in fake.requests[before].prompt  # resumed at refine: the round's review was not redone


async def test_tiny_budget_with_real_nodes_stops_with_best_so_far(wrong_solver: tuple[FakeLLM, RunContext]) -> None:
    fake, ctx = wrong_solver
    state = await run(TASK, ctx=ctx, budget=Budget(max_calls=2))
    assert state.stopped_by == "budget" and state.answer in ("5", "6")
    assert count(fake, REVIEWER) == 0 and count(fake, REFINER) == 0


class Encyclopedia:
    """One passage, whatever the query (the reader's question and the fact check's claims alike)."""

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        return [Passage(id="p1", title="Apollo 11", text="Apollo 11 landed on the Moon on 20 July 1969.", score=1.0)]


async def test_qa_with_real_nodes_an_answer_read_from_the_passages_wins_on_evidence(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea")
    fake.on(lambda r: "1969" in r.prompt.partition("Claim:")[2], texts=["supported"])
    fake.on("Claim:", texts=["contradicted"])
    fake.on("shortest span", texts=["Answer: July 1969\nConfidence: 90%"])
    fake.on("Answer the question", texts=["Answer: 1972\nIt was the last landing.\nConfidence: 80%"])
    task = Task(question="When did Apollo 11 land on the Moon?", kind="qa")
    async with fake.client() as llm:
        settings = Settings(samples=4, checkpoint_path=tmp_path / "cp.sqlite")
        state = await run(task, ctx=RunContext(settings=settings, llm=llm, retriever=Encyclopedia()))
    assert state.answer == "July 1969" and state.best is not None and state.best.origin == READER
    assert count(fake, "shortest span") == 1  # read once, in the first revision
    assert count(fake, "You check one claim") == 2  # one judged claim per distinct answer: 1972 and July 1969
    assert any(e.candidate_id == state.best.id and e.passed for e in state.evidence)  # checked like any answer


@pytest.mark.parametrize(("logprob", "label"), [(-0.05, "confident"), (-1.5, "uncertain")])
async def test_a_supported_greedy_qa_answer_is_confident_only_when_the_model_is_sure(
    tmp_path: Path, logprob: float, label: str
) -> None:
    fake = FakeLLM(default="no idea").on("Claim:", texts=["supported"])
    fake.on("Answer the question", texts=["Answer: 1969\nConfidence: 90%"], logprob=logprob)
    task = Task(question="When did Apollo 11 land on the Moon?", kind="qa")
    async with fake.client() as llm:
        settings = Settings(samples=4, checkpoint_path=tmp_path / "cp.sqlite")
        state = await run(task, ctx=RunContext(settings=settings, llm=llm, retriever=Encyclopedia()))
    assert state.stopped_by == "easy" and state.usage.calls == 2  # the greedy answer and its one claim check
    assert state.best is not None and state.best.scores.confidence is not None  # measured free, at the probe
    assert verdict(state, settings.tau_confident).label == label
