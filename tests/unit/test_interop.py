"""assay's agents and routing edges inside a user's own LangGraph ``StateGraph`` (no assay runtime)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from assay import interop
from assay.context import RunContext
from assay.kit import BudgetLimit, Confident, MaxRounds, Stops
from assay.settings import Settings
from assay.state import Budget, RunState, Task
from assay.testing import FakeLLM

SOLVER, REFINER = "Solve this problem", "You improve a solution"
RIGHT, WRONG = "2 + 2 = 4\nAnswer: 4\nConfidence: 95%", "2 + 2 = 5\nAnswer: 5\nConfidence: 90%"
OTHER_WRONG = "2 + 2 = 6\nAnswer: 6\nConfidence: 90%"


class MyState(TypedDict, total=False):
    question: str
    assay: RunState
    shown: str


def generator(*solver: str) -> FakeLLM:
    fake = FakeLLM(default="no idea")
    fake.on(REFINER, texts=[RIGHT], logprob=-0.05)  # before SOLVER: the refiner prompt quotes the task
    return fake.on(SOLVER, texts=list(solver), logprob=-0.3)


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[RunContext]:
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=0.97).on_classify("Final answer:", p_yes=0.1)
    # Two different wrong samples: the refiner's two copies of one revision count no agreement of their own.
    async with generator(WRONG, OTHER_WRONG).client() as llm, judge.client() as jc:
        yield RunContext(settings=Settings(samples=2, home=tmp_path, max_rounds=2), llm=llm, judge=jc)


def show(state: MyState) -> MyState:
    return {"shown": f"answer: {state['assay'].answer}"}


def user_graph(ctx: RunContext) -> StateGraph[MyState]:
    """Your graph: your own state and nodes; assay's agents and routing as nodes under the "assay" key."""
    g = StateGraph(MyState)
    g.add_node("start", interop.start("question", kind="math"))
    for name in ("solve", "verify", "score", "review", "refine", "select"):
        g.add_node(name, interop.agent(name, ctx=ctx, key="assay"))
    stops = Stops(BudgetLimit(), Confident(), MaxRounds())
    g.add_node("decide", interop.decide(stops, then="review", ctx=ctx, key="assay"))
    g.add_node("show", show)
    g.add_edge(START, "start")
    g.add_edge("start", "solve")
    g.add_edge("solve", "verify")
    g.add_edge("verify", "score")
    g.add_edge("score", "decide")
    g.add_conditional_edges("decide", interop.follow(key="assay"), ["review", "select"])
    g.add_edge("review", "refine")
    g.add_edge("refine", "verify")
    g.add_edge("select", "show")
    g.add_edge("show", END)
    return g


async def test_agents_run_inside_a_user_state_graph_and_route_on_signals(ctx: RunContext) -> None:
    out = await user_graph(ctx).compile().ainvoke({"question": "What is 2 + 2?"})
    state = out["assay"]
    assert isinstance(state, RunState) and out["shown"] == "answer: 4"
    assert state.best is not None and state.best.origin == "refiner" and state.round >= 1
    decisions = [r for r in state.routes if r.source == "route"]
    assert decisions[0].target == "review" and decisions[-1].target == "select"
    assert "tau_confident" in decisions[0].thresholds and decisions[0].signals["best_total"] is not None
    assert state.stopped_by in ("confident", "max_rounds") and state.usage.calls > 0 and state.elapsed_s > 0


async def test_a_run_state_graph_takes_the_context_from_the_runtime(ctx: RunContext) -> None:
    g = StateGraph(RunState, context_schema=RunContext)
    g.add_node("solve", interop.agent("solve"))
    g.add_node("score", interop.agent("score"))
    g.add_node("select", interop.agent("select"))
    g.add_node("retry", interop.agent("refine"))
    g.add_edge(START, "solve")
    g.add_edge("solve", "score")
    enough = Stops(BudgetLimit(), Confident(tau=0.9), MaxRounds(2))
    g.add_conditional_edges("score", interop.edge(enough, "select", "retry", ctx=ctx))
    g.add_edge("retry", "score")
    g.add_edge("select", END)
    task = Task(question="What is 2 + 2?", kind="math")
    out = RunState.model_validate(await g.compile().ainvoke(RunState(task=task), context=ctx))
    assert out.answer == "4" and out.best is not None and out.best.origin == "refiner" and 1 <= out.round <= 2


async def test_plain_function_rules_and_the_budget_invariant(ctx: RunContext) -> None:
    spent = RunState(task=Task(question="What is 2 + 2?", kind="math"), budget=Budget(max_calls=1))
    spent = interop.merge(spent, {"usage": {"calls": 1}})
    node = interop.agent("solve", ctx=ctx)
    update = await node(spent, runtime=None)  # type: ignore[arg-type]
    assert "candidates" not in update and "budget exhausted" in update["notes"][0]
    assert interop.edge(lambda s: s.usage.calls >= 1, "stop", "go")(spent) == "stop"


def test_mistakes_are_clear() -> None:
    with pytest.raises(ValueError, match="unknown agent"):
        interop.agent("summon")
    with pytest.raises(TypeError, match="not an assay RunState"):
        interop.follow(key="assay")({"assay": 3})
    with pytest.raises(ValueError, match="no Route"):
        interop.follow()(RunState(task=Task(question="q")))
