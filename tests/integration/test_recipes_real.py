"""Every registered recipe end to end on the real servers, for one math and one code task.

All recipes of a task run at once on one client, so the server batches them (vLLM is fast only with many
requests in flight). Small answers and small budgets keep it short; the checks are structural (a stop
reason, the selector's pick, usage counted), not whether the small CPU model is right.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assay.context import RunContext
from assay.graphs.registry import get_recipe, graph_names
from assay.llm.client import LLMClient
from assay.llm.models import resolve_endpoint
from assay.runtime import run
from assay.settings import Settings
from assay.state import Budget, RunState, Task

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CODE = Task(question="Write a Python function add(a, b) that returns the sum of a and b.", kind="code",
            tests=["assert add(1, 2) == 3", "assert add(-1, 1) == 0"], entry_point="add")  # fmt: skip
MATH = Task(question="A box holds 6 eggs. How many eggs are in 4 boxes?", kind="math", reference="24")
BUDGET = Budget(max_calls=8, max_tokens=2000, max_seconds=600)


def check(name: str, state: RunState) -> None:
    assert state.stopped_by is not None and state.routes[-1].target == "__end__", name
    assert state.usage.calls > 0 and state.elapsed_s > 0, name
    selector = get_recipe(name).selector
    assert selector is not None
    winner = selector(state).winner
    assert state.best_id == (winner.id if winner else None), name
    # a budget stop may overshoot by the one step that crossed it: a fan-out of a few calls at most
    assert state.usage.calls <= BUDGET.max_calls + 3, name


@pytest.mark.parametrize("task", [MATH, CODE], ids=["math", "code"])
async def test_every_recipe_runs_on_the_real_server(
    task: Task, live_settings: Settings, judge_client: LLMClient, tmp_path: Path
) -> None:
    small = live_settings.model_copy(update={"samples": 2, "max_tokens": 64, "max_rounds": 1,
                                             "checkpoint_path": tmp_path / "cp.sqlite"})  # fmt: skip
    endpoint = resolve_endpoint(live_settings, "generator")
    assert endpoint is not None
    # all recipes queue on one server at once: allow a long wait per request (a shared CPU may be busy)
    llm = LLMClient(endpoint.base_urls, model=endpoint.model, api_key=endpoint.api_key, timeout_s=600.0)
    ctx = RunContext(settings=small, llm=llm, judge=judge_client)
    names = graph_names()
    try:
        states = await asyncio.gather(*(run(task, graph=name, ctx=ctx, budget=BUDGET) for name in names))
    finally:
        await llm.aclose()
    for name, state in zip(names, states, strict=True):
        check(name, state)
    if task.kind == "code":
        assert all(any(e.tool == "tests" for e in s.evidence) for n, s in zip(names, states, strict=True)
                   if n in ("adaptive", "critic", "test-refine"))  # fmt: skip
