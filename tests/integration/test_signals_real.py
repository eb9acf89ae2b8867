"""Signals on the real generator: the generator-logprob judge (what every external endpoint gets by default)
runs here WITHOUT the judge-server fixture, so it is never skipped with it; verification for code without a
tests file and for bare arithmetic; judge usage in the run's accounting. Small: a few short requests."""

from __future__ import annotations

import pytest

from assay.agents.solver import solve
from assay.agents.verifier import verify
from assay.context import RunContext
from assay.llm.client import LLMClient
from assay.settings import Settings
from assay.signals.reward import LogprobJudge, make_scorer
from assay.signals.scoring import score
from assay.state import Candidate, RunState, Task

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

PROMPT = 'def double(x: int) -> int:\n    """Return twice x.\n    >>> double(2)\n    4\n    """\n'


def small(settings: Settings, llm: LLMClient) -> RunContext:
    tiny = settings.model_copy(update={"samples": 2, "max_tokens": 96, "self_tests": 2, "pot_programs": 2})
    return RunContext(settings=tiny, llm=llm, judge=None)  # no judge server: the generator's logprobs judge


async def test_generator_logprob_judge_scores_and_counts_usage(
    live_settings: Settings, generator_client: LLMClient
) -> None:
    ctx = small(live_settings, generator_client)
    assert isinstance(make_scorer(ctx), LogprobJudge)
    task = Task(question="What is 6 * 7?", kind="math", reference="42")
    pool = [Candidate(id=f"r0-solver-{i}", text=f"Answer: {a}", answer=a) for i, a in enumerate(["42", "41"])]
    update = await score(RunState(task=task, candidates=pool), ctx)
    rewards = [c.scores.reward for c in update["candidates"]]
    assert all(r is not None and 0.0 <= r <= 1.0 for r in rewards)
    assert update["usage"].calls == 2 and update["usage"].prompt_tokens > 0  # one judge call per candidate


async def test_code_without_tests_file_is_verified_on_the_real_server(
    live_settings: Settings, generator_client: LLMClient
) -> None:
    ctx = small(live_settings, generator_client)
    state = RunState(task=Task(question=PROMPT, kind="code", entry_point="double"))
    solved = await solve(state, ctx)
    state = state.model_copy(update={"candidates": solved["candidates"], "usage": solved["usage"]})
    update = await verify(state, ctx)
    tools = {e.tool for e in update["evidence"]}
    assert {"compile", "tests"} <= tools  # the load check and the docstring example ran for every candidate
    assert "testgen" in tools and update["usage"].calls == 1  # one n>1 request for model-written tests


async def test_bare_arithmetic_is_decided_by_the_tool(live_settings: Settings, generator_client: LLMClient) -> None:
    ctx = small(live_settings, generator_client)
    cands = [Candidate(id="r0-solver-0", text="Answer: 391", answer="391"),
             Candidate(id="r0-solver-1", text="Answer: 390", answer="390")]  # fmt: skip
    update = await verify(RunState(task=Task(question="What is 17 * 23?", kind="math"), candidates=cands), ctx)
    decided = {e.candidate_id: e.passed for e in update["evidence"] if e.tool == "expression"}
    assert decided == {"r0-solver-0": True, "r0-solver-1": False} and update["usage"].calls == 0
