"""Usage accounting against the servers' own counters: every request assay sends is in the run's usage.

For runs of ``single``, ``self-consistency`` (one ``n=3`` request) and ``adaptive`` (generator, judge, program
of thought), the client's totals must equal what vLLM's ``/metrics`` counted in the same window, by the one
documented rule (docs/BENCHMARKS.md): generated tokens equal, and the server counts an ``n=k`` prompt k times
(``Usage.sequence_prompt_tokens``). CI runs the integration tests one at a time, so the window is quiet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.context import RunContext
from assay.eval.metrics import scrape
from assay.llm.client import LLMClient
from assay.llm.types import Usage
from assay.runtime import run
from assay.settings import Settings
from assay.state import Budget, Task

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MATH = Task(question="A box holds 6 eggs. How many eggs are in 4 boxes?", kind="math")


@pytest.mark.parametrize("graph", ["single", "self-consistency", "adaptive"])
async def test_run_usage_matches_the_servers_metrics(
    graph: str, live_settings: Settings, generator_client: LLMClient, judge_client: LLMClient, tmp_path: Path
) -> None:
    settings = live_settings.model_copy(
        update={"samples": 3, "max_tokens": 96, "max_rounds": 1, "checkpoint_path": tmp_path / "cp.sqlite"}
    )
    ctx = RunContext(settings=settings, llm=generator_client, judge=judge_client)
    roots = [*generator_client.base_urls, *judge_client.base_urls]
    before = await scrape(roots)
    state = await run(MATH, graph=graph, ctx=ctx, budget=Budget(max_calls=20, max_tokens=20_000, max_seconds=600))
    after = await scrape(roots)
    server = {k: after[k] - before[k] for k in after}
    used: Usage = state.usage
    assert used.calls > 0 and used.completion_tokens > 0
    assert server["generation_tokens"] == used.completion_tokens, (server, used)
    assert server["prompt_tokens"] == used.sequence_prompt_tokens, (server, used)
    assert server["requests"] >= used.calls  # one per sequence: an n=k request counts k
