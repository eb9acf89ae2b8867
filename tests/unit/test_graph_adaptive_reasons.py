"""Adaptive's route reasons say what happened and what runs next; QA sees its evidence before any review."""

from __future__ import annotations

from typing import Any

from _graph_stubs import Script, make_ctx

from assay.context import RunContext
from assay.graphs.adaptive import build_adaptive
from assay.state import Budget, Candidate, RunState, Scores, Task


async def run_graph(script: Script, kind: str, **settings: Any) -> RunState:
    app = build_adaptive(**script.nodes()).compile()
    start = RunState(task=Task(question="what is 2 + 2?", kind=kind), budget=Budget())
    return RunState.model_validate(await app.ainvoke(start, context=make_ctx(**settings)))


def hard_reasons(state: RunState) -> list[str]:
    return [r.reason for r in state.routes if r.source == "route" and r.reason.startswith("hard")]


async def test_a_round_whose_best_fell_is_not_called_an_improvement() -> None:
    script = Script(["3", "5"], ["2", "1"], totals={"3": 0.4, "5": 0.3, "2": 0.1, "1": 0.05})
    state = await run_graph(script, "math", patience=3, max_rounds=3, tau_confident=0.95)
    later = hard_reasons(state)[1]  # the route after round 1's revision
    assert "improved" not in later
    assert later.startswith("hard: no improvement: round best 0.10 <= earlier best 0.40")


async def test_a_round_that_did_improve_says_from_what() -> None:
    script = Script(["3", "5"], ["4", "6"], totals={"3": 0.4, "5": 0.3, "4": 0.5, "6": 0.6})
    state = await run_graph(script, "math", patience=3, max_rounds=2, tau_confident=0.95)
    assert hard_reasons(state)[1].startswith("hard: improved to 0.50 (from 0.40), below 0.95")


async def test_round_zero_reason_names_the_steps_that_actually_run() -> None:
    cheap = await run_graph(Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3}), "code", max_rounds=1)
    assert cheap.routes[0].target == "review" and cheap.routes[0].reason.endswith(": review, refine, verify, score")
    qa = await run_graph(Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3}), "qa", max_rounds=1)
    assert qa.routes[0].target == "verify" and qa.routes[0].reason.endswith(": verify, score, route again")
    script = Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3})
    open_ = await run_graph(script, "open", max_rounds=1)  # no tool for open answers: no verify step at all
    assert open_.routes[0].target == "review" and open_.routes[0].reason.endswith(": review, refine, score")
    assert script.calls["verify"] == 0 and script.calls["refine"] == 1


async def test_qa_goes_verify_score_route_and_a_supported_answer_stops_without_review() -> None:
    script = Script(["Paris", "Lyon"], ["Nice"], passed={"Paris": True}, tool="factcheck")

    async def score(state: RunState, ctx: RunContext) -> dict[str, Any]:
        script.calls["score"] += 1
        backed = {e.candidate_id for e in state.evidence if e.passed}
        return {"candidates": [_scored(c, 0.9 if c.id in backed else 0.4) for c in state.candidates]}

    app = build_adaptive(**{**script.nodes(), "score": score}).compile()
    start = RunState(task=Task(question="What is the capital of France?", kind="qa"))
    state = RunState.model_validate(await app.ainvoke(start, context=make_ctx(tau_confident=0.8)))
    assert [(r.source, r.target) for r in state.routes[:2]] == [("route", "verify"), ("route", "select")]
    assert state.stopped_by == "confident" and state.answer == "Paris"
    assert script.calls["review"] == 0 and script.calls["refine"] == 0 and script.calls["score"] == 2


def _scored(cand: Candidate, value: float) -> Candidate:
    return cand.model_copy(update={"scores": Scores(agreement=0.5, reward=0.5, total=value)})
