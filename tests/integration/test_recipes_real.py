"""Every registered recipe end to end on the real servers, for one math and one code task.

Every recipe on both tasks runs at once on one client, so the server batches them all (vLLM is fast only with
many requests in flight). Short questions, 48-token answers, two samples, one round and a 6-call budget keep
it short; the checks are structural (a stop reason, the selector's pick, usage counted, tests run inside the
code recipes), not whether the small CPU model is right.
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

CODE = Task(question="Write add(a, b) returning a + b.", kind="code", tests=["assert add(1, 2) == 3"],
            entry_point="add")  # fmt: skip
MATH = Task(question="What is 6 * 4?", kind="math", reference="24")
BUDGET = Budget(max_calls=6, max_tokens=1500, max_seconds=300)


def library() -> list[str]:
    """The recipes assay ships (examples imported earlier in the session register recipes of their own)."""
    names = [n for n in graph_names() if get_recipe(n).builder.__module__.startswith("assay.graphs.")]
    assert len(names) >= 11
    return names


def check(label: str, state: RunState) -> None:
    name = label.split(" on ")[0]
    assert state.stopped_by is not None and state.routes[-1].target == "__end__", label
    assert state.usage.calls > 0 and state.elapsed_s > 0, label
    selector = get_recipe(name).selector
    assert selector is not None, label
    winner = selector(state).winner
    assert state.best_id == (winner.id if winner else None), label
    # a budget stop may overshoot by the one step that crossed it: a fan-out of a few calls at most
    assert state.usage.calls <= BUDGET.max_calls + 3, label


async def test_every_recipe_runs_on_the_real_server(
    live_settings: Settings, judge_client: LLMClient, tmp_path: Path
) -> None:
    small = live_settings.model_copy(update={"samples": 2, "max_tokens": 48, "max_rounds": 1,
                                             "checkpoint_path": tmp_path / "cp.sqlite"})  # fmt: skip
    endpoint = resolve_endpoint(live_settings, "generator")
    assert endpoint is not None
    # all runs queue on one server at once: allow a long wait per request (a shared CPU may be busy)
    llm = LLMClient(endpoint.base_urls, model=endpoint.model, api_key=endpoint.api_key, timeout_s=600.0)
    ctx = RunContext(settings=small, llm=llm, judge=judge_client)
    jobs = [(task, name) for task in (MATH, CODE) for name in library()]
    try:
        states = await asyncio.gather(*(run(task, graph=name, ctx=ctx, budget=BUDGET) for task, name in jobs))
    finally:
        await llm.aclose()
    for (task, name), state in zip(jobs, states, strict=True):
        check(f"{name} on {task.kind}", state)
        if task.kind == "code" and name in ("adaptive", "critic", "test-refine"):
            assert any(e.tool == "tests" for e in state.evidence), f"{name}: the tests never ran"
