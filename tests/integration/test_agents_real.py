"""Agents and judges against the real vLLM servers (generator + /classify judge)."""

from __future__ import annotations

import pytest

from assay.agents.reviewer import review
from assay.agents.solver import solve
from assay.context import RunContext
from assay.llm.client import LLMClient
from assay.settings import Settings
from assay.signals.reward import ClassifyJudge, JudgeItem, LogprobJudge
from assay.signals.scoring import score
from assay.state import Candidate, Evidence, RunState, Task
from assay.tools.sandbox import run_python

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MATH = Task(question="A box holds 6 eggs. How many eggs are in 4 boxes?", kind="math", reference="24")


def ctx_for(settings: Settings, llm: LLMClient, judge: LLMClient | None = None) -> RunContext:
    small = settings.updated({"samples": 4, "max_tokens": 96, "temperature": 0.8})
    return RunContext(settings=small, llm=llm, judge=judge)


async def test_solver_samples_four_candidates_with_logprobs(
    live_settings: Settings, generator_client: LLMClient
) -> None:
    update = await solve(RunState(task=MATH), ctx_for(live_settings, generator_client))
    cands: list[Candidate] = update["candidates"]
    assert len(cands) == 4 and len({c.id for c in cands}) == 4
    for cand in cands:
        assert cand.tokens.n_tokens > 0
        assert cand.tokens.mean_logprob is not None and cand.tokens.mean_logprob <= 0.0
        assert cand.tokens.min_logprob is not None and cand.tokens.min_logprob <= cand.tokens.mean_logprob
    assert len({c.text for c in cands}) >= 2  # n=4 with a seed gives distinct samples
    assert update["usage"].calls == 1 and update["usage"].completion_tokens > 0


STUB = 'def double(x: int) -> int:\n    """Return twice x.\n    >>> double(3)\n    6\n    """\n'


async def test_a_code_stub_is_continued_by_the_real_server(
    live_settings: Settings, generator_client: LLMClient
) -> None:
    """vLLM takes the stub as the start of the reply (continue_final_message) with the stop strings: the answer
    is the stub followed by the model's body, and it runs."""
    ctx = RunContext(settings=live_settings.model_copy(update={"samples": 2, "max_tokens": 64}), llm=generator_client)
    update = await solve(RunState(task=Task(question=STUB, kind="code")), ctx)
    for cand in update["candidates"]:
        assert cand.answer is not None and cand.answer.startswith(STUB.rstrip()), cand.text
        assert cand.answer.count("def double") == 1 and cand.tokens.n_tokens > 0
    ran = await run_python((update["candidates"][0].answer or "") + "\nassert callable(double)\n")  # sandboxed
    assert ran.ok, ran.stderr


@pytest.mark.parametrize("backend", ["classify", "logprob"])
async def test_judges_return_probabilities(backend: str, generator_client: LLMClient, judge_client: LLMClient) -> None:
    scorer = ClassifyJudge(judge_client) if backend == "classify" else LogprobJudge(generator_client)
    items = [JudgeItem(question=MATH.question, kind="math", answer=a) for a in ("24", "10")]
    values = await scorer.score(items)
    assert len(values) == 2 and all(0.0 <= v <= 1.0 for v in values)
    assert scorer.usage.calls >= 1


async def test_score_node_with_classify_judge(
    live_settings: Settings, generator_client: LLMClient, judge_client: LLMClient
) -> None:
    ctx = ctx_for(live_settings, generator_client, judge_client)
    solved = await solve(RunState(task=MATH), ctx)
    update = await score(RunState(task=MATH, candidates=solved["candidates"]), ctx)
    for cand in update["candidates"]:
        assert cand.scores.total is not None and 0.0 <= cand.scores.total <= 1.0
        assert cand.scores.reward is not None and cand.correct is not None
    assert any(c.scores.steps for c in update["candidates"])


async def test_reviewer_structured_output_parses_or_falls_back(
    live_settings: Settings, generator_client: LLMClient
) -> None:
    cand = Candidate(id="c0", text="6+4=10\nAnswer: 10", answer="10")
    ev = Evidence(id="ev-c0", candidate_id="c0", tool="program", input="6*4", outcome="6*4 gives 24, not 10",
                  passed=False)  # fmt: skip
    state = RunState(task=MATH, candidates=[cand], evidence=[ev])
    update = await review(state, ctx_for(live_settings, generator_client))
    (rev,) = update["reviews"]
    assert rev.candidate_id == "c0" and rev.verdict in ("correct", "incorrect", "unsure")
    assert set(rev.evidence_ids) <= {"ev-c0"} and len(rev.critique) <= 600
    assert update["usage"].calls in (1, 2)
    if update["usage"].calls == 2:
        assert any("fallback" in n for n in update.get("notes", [])) or rev.critique
