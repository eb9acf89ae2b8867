"""A scripted generator + judge for recipe tests, and a one-call runner through the real runtime."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.context import RunContext
from assay.runtime import run
from assay.settings import Settings
from assay.state import Budget, RunState, Task
from assay.testing import FakeLLM

MATH = Task(question="What is 2 + 2?", kind="math", reference="4")
SOLVER = "Solve this problem"
REVIEWER = "You review a proposed solution"
REFINER = "You improve a solution"


def math_text(answer: str, confidence: int = 90) -> str:
    return f"2 + 2 = {answer}\nAnswer: {answer}\nConfidence: {confidence}%"


def generator(solver: Sequence[str], refined: Sequence[str] = ("4",), *, logprob: float = -0.3) -> FakeLLM:
    fake = FakeLLM(default="no idea")
    fake.on(REFINER, texts=[math_text(a, 95) for a in refined], logprob=-0.05)  # before SOLVER: it quotes it
    fake.on(SOLVER, texts=[math_text(a) for a in solver], logprob=logprob)
    return fake


def judge(right: str = "4", p_right: float = 0.95, p_wrong: float = 0.1) -> FakeLLM:
    return FakeLLM().on_classify(f"Final answer: {right}", p_yes=p_right).on_classify("", p_yes=p_wrong)


def count(fake: FakeLLM, text: str) -> int:
    return sum(text in r.prompt for r in fake.requests)


async def run_recipe(graph: str, gen: FakeLLM, tmp: Path, *, task: Task = MATH, budget: Budget | None = None,
                     jud: FakeLLM | None = None, events: list[dict[str, Any]] | None = None,
                     **settings: Any) -> RunState:  # fmt: skip
    """Run recipe ``graph`` through ``assay.run`` on the fakes (checkpointed to ``tmp``)."""
    async with gen.client() as llm, (jud or judge()).client() as jc:
        ctx = RunContext(settings=Settings(checkpoint_path=tmp / "cp.sqlite", **settings), llm=llm, judge=jc)
        sink = events.append if events is not None else None
        return await run(task, graph=graph, ctx=ctx, budget=budget, on_event=sink)


def nodes_run(events: list[dict[str, Any]]) -> list[str]:
    return [e["node"] for e in events if e.get("type") == "node" and e.get("phase") == "start"]
