"""Kit fixes: the run's weights everywhere a total is recomputed, a probe that accepts only on evidence, the
human gate on repairs, and a budget-stopped thread that a bigger budget continues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _graph_stubs import make_ctx
from _recipe_fakes import MATH, generator, judge

from assay import kit
from assay.agents.repair import REPAIR
from assay.context import RunContext
from assay.graphs.adaptive import select
from assay.kit import _rounds
from assay.kit._probe import decision
from assay.runtime import run
from assay.settings import Settings
from assay.signals.scoring import Weights, combine, evidence_status
from assay.state import Budget, Candidate, Evidence, Route, RunState, Scores, Task, TokenStats

ONLY_CONFIDENCE = {"w_confidence": 1.0, "w_agreement": 0.0, "w_reward": 0.0, "w_steps": 0.0, "w_evidence": 0.0}


def cand(cid: str, answer: str, *, origin: str = "solver", logprob: float = -0.05, **scores: Any) -> Candidate:
    tokens = TokenStats(n_tokens=5, mean_logprob=logprob, min_logprob=logprob)
    return Candidate(id=cid, text=f"Answer: {answer}", answer=answer, origin=origin, tokens=tokens,
                     scores=Scores(**scores))  # fmt: skip


def evidence(cid: str, tool: str, passed: bool | None) -> Evidence:
    return Evidence(id=f"ev-{cid}-{tool}", candidate_id=cid, tool=tool, input="", outcome="x", passed=passed)


async def test_tally_and_the_budget_select_use_the_runs_weights() -> None:
    a = cand("a", "3", confidence=0.9, agreement=0.1, reward=0.2, total=0.3)
    state = RunState(task=Task(question="q", kind="open"), candidates=[a])
    ctx = make_ctx(**ONLY_CONFIDENCE)
    tallied = (await kit.tally(state, ctx))["candidates"][0]
    chosen = {c.id: c for c in (await select(state, ctx))["candidates"]}["a"]
    mine = Weights.from_settings(ctx.settings)
    for fresh in (tallied, chosen):
        expected = combine(fresh.scores, mine, evidence_status(fresh, [], "open"))
        assert fresh.scores.total == pytest.approx(expected)
        assert fresh.scores.total != pytest.approx(combine(fresh.scores, Weights(), "unverified"))


def greedy_state(kind: str, *found: Evidence, logprob: float = -0.05) -> RunState:
    return RunState(task=Task(question="What is 2 + 2?", kind=kind), candidates=[cand("g", "4", logprob=logprob)],
                    evidence=list(found))  # fmt: skip


def test_a_confident_greedy_answer_without_a_decisive_pass_is_widened() -> None:
    settings = Settings(samples=4)
    for state in (greedy_state("math"), greedy_state("math", evidence("g", "program", True)), greedy_state("open")):
        target, reason, signals = decision(state, settings)
        assert (signals["confidence"] or 0) >= 0.9  # confident by its own logprobs, and still not accepted
        assert target == "widen" and "sample 3 more" in reason


def test_the_probe_accepts_on_a_decisive_pass_or_qa_support_only() -> None:
    settings = Settings(samples=4)
    doubtful = -2.0  # low logprob confidence: evidence decides, not the model's own certainty
    assert (
        decision(greedy_state("math", evidence("g", "expression", True), logprob=doubtful), settings)[0] == "aggregate"
    )
    assert decision(greedy_state("code", evidence("g", "tests", True), logprob=doubtful), settings)[0] == "aggregate"
    qa, reason, _ = decision(greedy_state("qa", evidence("g", "factcheck", True), logprob=doubtful), settings)
    assert qa == "aggregate" and "supported" in reason
    assert decision(greedy_state("qa", evidence("g", "factcheck", False)), settings)[0] == "widen"
    both = greedy_state("math", evidence("g", "expression", True), evidence("g", "tests", False))
    assert decision(both, settings)[0] == "widen"  # refuted beats confirmed


@pytest.mark.parametrize("origin", ["refiner", REPAIR])
def test_the_human_gate_asks_about_refinements_and_repairs(origin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(_rounds, "interrupt", lambda payload: asked.append(payload) or {"approve": False})
    old, new = cand("s0", "5", total=0.4), cand("f1", "4", origin=origin, total=0.9)
    state = RunState(task=MATH, candidates=[old, new], best_id="s0", round=1)
    last = Route(source="route", target="review", round=1, reason="hard")
    out = kit.human_gate(state, {"routes": [last], "best_id": "f1"})
    assert asked and asked[0]["proposed"]["origin"] == origin
    assert out["stopped_by"] == "human" and out["best_id"] == "s0"


async def test_resuming_a_budget_stopped_thread_with_a_bigger_budget_continues(tmp_path: Path) -> None:
    gen = generator(["5", "6", "5", "6"], refined=["4"])
    async with gen.client() as llm, judge().client() as jc:
        ctx = RunContext(settings=Settings(checkpoint_path=tmp_path / "cp.sqlite", samples=4), llm=llm, judge=jc)
        first = await run(MATH, ctx=ctx, thread_id="t", budget=Budget(max_calls=2))
        assert first.stopped_by == "budget"
        again = await run(MATH, ctx=ctx, thread_id="t", budget=Budget(max_calls=2))  # no bigger: stays finished
        assert again.usage.calls == first.usage.calls
        resumed = await run(MATH, ctx=ctx, thread_id="t", budget=Budget(max_calls=40))
    assert resumed.usage.calls > first.usage.calls and resumed.budget.max_calls == 40
    assert resumed.stopped_by not in (None, "budget") and resumed.routes[-1].target == "__end__"
    assert {c.id for c in first.candidates} <= {c.id for c in resumed.candidates}  # nothing lost
    assert all(c.scores.total is not None for c in resumed.candidates)  # the resumed run scored what was cut short
