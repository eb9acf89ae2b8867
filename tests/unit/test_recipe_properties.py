"""Properties every registered recipe keeps, on random scripts and budgets (hypothesis):

- a budget is overshot by at most the one step that crossed it: once a step ends exhausted, nothing more is
  spent (a step is one node, or one fan-out of parallel ``Send`` branches);
- the final answer is the one the recipe's selector picks from the final state;
- the state round-trips through the checkpoint serializer and through JSON exactly.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.checkpoint.memory import InMemorySaver

from assay.context import RunContext
from assay.graphs.registry import build_graph, get_recipe, graph_names
from assay.runtime import checkpoint_serde
from assay.settings import Settings
from assay.state import Budget, RunState, Task
from assay.testing import FakeLLM

RECIPES = [name for name in graph_names() if get_recipe(name).selector is not None]
answers = st.lists(st.sampled_from(["3", "4", "5"]), min_size=1, max_size=4)


def fakes(solver: list[str], refined: str, p_right: float) -> tuple[FakeLLM, FakeLLM]:
    text = "2 + 2 = {a}\nAnswer: {a}\nConfidence: {c}%"
    gen = FakeLLM(default="Answer: 4")
    gen.on("You improve a solution", texts=[text.format(a=refined, c=80)], logprob=-0.2)
    gen.on("Solve this problem", texts=[text.format(a=a, c=50 + 10 * i) for i, a in enumerate(solver)], logprob=-0.4)
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=p_right).on_classify("", p_yes=1 - p_right)
    return gen, judge


async def trace(name: str, task: Task, budget: Budget, gen: FakeLLM, judge: FakeLLM,
                **values: Any) -> tuple[list[RunState], RunState]:  # fmt: skip
    """The state after every superstep, and the state revived from the checkpoint."""
    app = build_graph(name).compile(checkpointer=InMemorySaver(serde=checkpoint_serde()))
    config: Any = {"configurable": {"thread_id": "p"}, "recursion_limit": get_recipe(name).recursion_limit(3)}
    async with gen.client() as llm, judge.client() as jc:
        ctx = RunContext(settings=Settings(sandbox_allow_weak=True, **values), llm=llm, judge=jc)
        stream = app.astream(RunState(task=task, budget=budget), config, context=ctx, stream_mode="values")
        steps = [RunState.model_validate(s) async for s in stream]
    return steps, RunState.model_validate((await app.aget_state(config)).values)


@pytest.mark.parametrize("name", RECIPES)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    solver=answers,
    refined=st.sampled_from(["3", "4"]),
    p_right=st.floats(0.05, 0.95),
    kind=st.sampled_from(["math", "open"]),
    calls=st.integers(1, 10),
    tokens=st.integers(40, 3000),
    samples=st.integers(1, 4),
    rounds=st.integers(0, 2),
)
def test_every_recipe_keeps_budget_selection_and_checkpoint_invariants(
    name: str, solver: list[str], refined: str, p_right: float, kind: str, calls: int, tokens: int, samples: int,
    rounds: int,
) -> None:  # fmt: skip
    gen, judge = fakes(solver, refined, p_right)
    task = Task(question="What is 2 + 2?", kind=kind, reference="4")
    budget = Budget(max_calls=calls, max_tokens=tokens)
    steps, revived = asyncio.run(trace(name, task, budget, gen, judge, samples=samples, max_rounds=rounds))
    for before, after in itertools.pairwise(steps):
        if before.exhausted() in ("calls", "tokens"):
            assert after.usage == before.usage, f"{name} spent after the budget was exhausted"
    final = steps[-1]
    recipe = get_recipe(name)
    assert recipe.selector is not None
    choice = recipe.selector(final)
    assert final.best_id == (choice.winner.id if choice.winner else None)
    if choice.winner is not None:
        assert final.answer == (choice.winner.answer if choice.winner.answer is not None else choice.winner.text)
    assert final.stopped_by is not None and final.routes[-1].target == "__end__"
    assert revived == final and RunState.model_validate_json(final.model_dump_json()) == final


def test_every_builtin_recipe_is_covered() -> None:
    assert set(RECIPES) >= {"adaptive", "single", "self-consistency", "best-of-n", "best-of-n-weighted", "rm-ensemble",
                            "self-refine", "ioe", "critic", "test-refine", "step-beam", "debate"}  # fmt: skip
