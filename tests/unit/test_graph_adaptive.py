"""Routing of the adaptive graph with scripted node functions: every branch and every stop rule."""

from __future__ import annotations

from typing import Any

import pytest
from _graph_stubs import Script, make_ctx

from assay.errors import InputError
from assay.graphs import registry
from assay.graphs.adaptive import build_adaptive
from assay.graphs.registry import build_graph, get_recipe, graph_names
from assay.state import Budget, RunState, Task


async def run_graph(script: Script, *, budget: Budget | None = None, kind: str = "qa", **settings: Any) -> RunState:
    app = build_adaptive(**script.nodes()).compile()
    task = Task(question="what is 2 + 2?", kind=kind, reference=script.reference)
    start = RunState(task=task, budget=budget or Budget())
    return RunState.model_validate(await app.ainvoke(start, context=make_ctx(**settings)))


def targets(state: RunState) -> list[tuple[str, str]]:
    return [(r.source, r.target) for r in state.routes]


async def test_easy_problem_is_aggregated_without_refinement() -> None:
    script = Script(["4", "4", "4", "5"], totals={"4": 0.7, "5": 0.9}, rewards={"4": 0.9, "5": 0.2})
    state = await run_graph(script, tau_agreement=0.75, tau_reward=0.6)
    assert state.stopped_by == "easy"
    assert state.answer == "4"  # the vote wins over the single higher-total outlier
    assert targets(state) == [("route", "aggregate"), ("aggregate", "__end__")]
    first = state.routes[0]
    assert first.signals["agreement"] == 0.75 and first.signals["reward"] == pytest.approx(0.9)
    assert first.thresholds["tau_agreement"] == 0.75
    assert script.calls["verify"] == 0 and script.calls["refine"] == 0


async def test_hard_problem_refined_answer_becomes_best_and_stops_confident() -> None:
    script = Script(["3", "5", "3", "7"], ["4"], totals={"3": 0.4, "5": 0.3, "7": 0.2, "4": 0.9})
    state = await run_graph(script, tau_confident=0.8)
    assert targets(state)[:2] == [("route", "verify"), ("route", "review")]  # QA: the evidence is scored first
    assert state.stopped_by == "confident"
    assert state.best is not None and state.best.origin == "refiner" and state.answer == "4"
    assert state.round == 1 and state.best.round == 1 and state.best.parent is not None
    # verify runs twice: once on the solver samples, once on the fresh revision; each is scored before a route
    assert [script.calls[n] for n in ("solve", "verify", "review", "refine", "score")] == [1, 2, 1, 1, 3]
    assert state.evidence and state.reviews


async def test_no_improvement_stops_and_keeps_the_better_solver_answer() -> None:
    script = Script(["3", "5", "3", "7"], ["2"], totals={"3": 0.4, "5": 0.3, "7": 0.2, "2": 0.1})
    state = await run_graph(script, patience=1, max_rounds=5)
    assert state.stopped_by == "no_improvement"
    assert state.answer == "3" and state.best is not None and state.best.origin == "solver"  # not the last revision
    stop = state.routes[-2]
    assert stop.target == "select" and stop.signals["no_improve"] == 1 and stop.thresholds["patience"] == 1


async def test_max_rounds_is_a_safety_net() -> None:
    totals = {"3": 0.4, "5": 0.3, "a": 0.5, "b": 0.6, "c": 0.7}
    script = Script(["3", "5"], ["a", "b", "c"], totals=totals)
    state = await run_graph(script, kind="open", patience=3, max_rounds=2, tau_confident=0.95)
    assert state.stopped_by == "max_rounds"
    assert script.calls["refine"] == 2 and state.answer == "b"


async def test_qa_stops_after_the_round_that_read_the_passages() -> None:
    """QA's first revision reads the retrieved passages; a second one would be closed-book (kit.ReadOnce)."""
    totals = {"3": 0.4, "5": 0.3, "a": 0.5, "b": 0.6, "c": 0.7}
    script = Script(["3", "5"], ["a", "b", "c"], totals=totals)
    state = await run_graph(script, patience=3, max_rounds=3, tau_confident=0.95)
    assert state.stopped_by == "read" and script.calls["refine"] == 1 and state.answer == "a"
    stop = state.routes[-2]
    assert stop.target == "select" and stop.thresholds["read_rounds"] == 1 and "closed-book" in stop.reason


async def test_zero_rounds_never_refines() -> None:
    script = Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3})
    state = await run_graph(script, max_rounds=0)
    assert state.stopped_by == "max_rounds" and script.calls["verify"] == 0 and state.answer == "3"


async def test_budget_stop_inside_the_hard_path_returns_best_so_far() -> None:
    script = Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3, "4": 0.9})
    state = await run_graph(script, budget=Budget(max_calls=3))
    assert state.stopped_by == "budget"
    assert script.calls["verify"] == 1 and script.calls["review"] == 0
    assert state.answer == "3" and state.usage.calls == 3
    assert ("budget", "select") in targets(state)
    assert state.routes[-2].thresholds["max_calls"] == 3


async def test_budget_exhausted_by_the_solver_skips_scoring() -> None:
    script = Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3}, tokens_per_node=500)
    state = await run_graph(script, budget=Budget(max_tokens=100))
    assert state.stopped_by == "budget" and script.calls["score"] == 0
    assert targets(state) == [("budget", "select"), ("select", "__end__")]
    assert "tokens" in state.routes[0].reason
    assert state.answer is not None  # an unscored pool still yields an answer


async def test_flips_are_counted_against_the_parent() -> None:
    script = Script(["3", "5", "3"], ["4", "6"], totals={"3": 0.4, "5": 0.3, "4": 0.5, "6": 0.6}, reference="4")
    state = await run_graph(script, kind="open", patience=5, max_rounds=2, tau_confident=0.95)
    # round 1: parent "3" (wrong) -> "4" (right); round 2: parent "4" (right) -> "6" (wrong)
    assert state.flips.wrong_to_right == 1 and state.flips.right_to_wrong == 1
    assert state.answer == "6"  # best-scored, even though wrong: selection trusts scores, flips report it


async def test_every_decision_is_a_route_with_signals() -> None:
    script = Script(["3", "5"], ["4", "6"], totals={"3": 0.4, "5": 0.3, "4": 0.5, "6": 0.45})
    state = await run_graph(script, patience=1, max_rounds=3)
    decisions = [r for r in state.routes if r.source == "route"]
    assert len(decisions) == script.calls["score"] == state.round + 2  # one per scoring pass (QA: two in round 0)
    for route in decisions:
        assert route.reason and route.thresholds and "best_total" in route.signals
    assert state.routes[-1].source == "select"


async def test_a_round_that_adds_no_candidate_still_meets_the_stop_rules() -> None:
    script = Script(["3", "5"], totals={"3": 0.4, "5": 0.3})

    async def refine_nothing(state: RunState, ctx: Any) -> dict[str, Any]:
        return {"notes": ["refine: nothing to add"]}

    app = build_adaptive(**{**script.nodes(), "refine": refine_nothing}).compile()
    start = RunState(task=Task(question="what is 2 + 2?", kind="math"))
    state = RunState.model_validate(await app.ainvoke(start, context=make_ctx(patience=1)))
    assert state.stopped_by == "no_improvement" and state.round == 1 and state.answer == "3"
    assert targets(state)[-2:] == [("route", "select"), ("select", "__end__")]


def test_registry_lists_and_rejects_unknown_names() -> None:
    assert "adaptive" in graph_names()
    assert get_recipe("adaptive").supports_human
    with pytest.raises(InputError, match=r"unknown graph 'nope'; known graphs: .*adaptive"):
        build_graph("nope")


def test_human_review_needs_a_recipe_with_a_human_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._RECIPES, "no-human", registry.Recipe("no-human", build_adaptive, "test"))
    assert get_recipe("adaptive", human=True).supports_human
    for fail in (lambda: get_recipe("no-human", human=True), lambda: build_graph("no-human", human=True)):
        with pytest.raises(InputError, match="graph 'no-human' has no human review step"):
            fail()
    build_graph("no-human", human=False)  # the flag is dropped for recipes without the step


def test_unknown_node_override_is_rejected() -> None:
    with pytest.raises(TypeError, match="unknown node"):
        build_adaptive(solver=Script(["1"]).solve)


def test_mermaid_shows_the_topology() -> None:
    mermaid = build_adaptive(**Script(["1"]).nodes()).compile().get_graph().draw_mermaid()
    for node in ("solve", "score", "route", "aggregate", "verify", "review", "refine", "select"):
        assert node in mermaid


@pytest.mark.parametrize("kind", ["code", "math"])
async def test_cheap_tools_run_before_the_first_score(kind: str) -> None:
    script = Script(["3", "5"], ["4"], totals={"3": 0.4, "5": 0.3, "4": 0.9})
    state = await run_graph(script, kind=kind, tau_confident=0.8)
    assert targets(state)[0] == ("route", "review")  # already verified: no second verify before the review
    assert script.calls["verify"] == 2 and script.calls["score"] == 2  # after solve and after refine
    assert state.stopped_by == "confident" and state.answer == "4"


@pytest.mark.parametrize("kind", ["code", "math"])
async def test_a_hard_problem_whose_best_answer_no_tool_refutes_is_not_revised(kind: str) -> None:
    script = Script(["3", "5"], ["4"], totals={"3": 0.6, "5": 0.3, "4": 0.9}, passed={"3": None})
    state = await run_graph(script, kind=kind, tau_confident=0.8)
    assert state.stopped_by == "unguided" and state.answer == "3"
    assert "no tool refutes the best candidate s0" in state.routes[0].reason
    assert script.calls["review"] == 0 and script.calls["refine"] == 0


async def test_qa_is_still_revised_when_nothing_refutes_its_best_answer() -> None:
    script = Script(["3", "5"], ["4"], totals={"3": 0.6, "5": 0.3, "4": 0.9}, passed={"3": None})
    state = await run_graph(script, kind="qa", tau_confident=0.8)
    assert state.stopped_by == "confident" and script.calls["refine"] == 1


async def test_failing_evidence_blocks_the_easy_path() -> None:
    agreed = {"totals": {"4": 0.7}, "rewards": {"4": 0.95}}
    passing = await run_graph(Script(["4", "4", "4"], **agreed, evidence={"4": 1.0}), kind="code")
    assert passing.stopped_by == "easy" and passing.routes[0].signals["evidence"] == 1.0
    failing = await run_graph(Script(["4", "4", "4"], ["5"], **agreed, evidence={"4": 0.0}), kind="code")
    assert failing.routes[0].target == "review" and failing.routes[0].signals["evidence"] == 0.0
    assert failing.stopped_by != "easy" and failing.routes[0].reason.startswith("hard")


async def test_budget_stop_after_verify_folds_the_new_evidence_into_the_choice() -> None:
    from assay.graphs.adaptive import select
    from assay.state import Candidate, Evidence, Scores

    liked = Candidate(id="a", text="x", answer="3", scores=Scores(agreement=0.5, reward=0.9, total=0.7))
    plain = Candidate(id="b", text="y", answer="4", scores=Scores(agreement=0.5, reward=0.6, total=0.55))
    failed = Evidence(id="e", candidate_id="a", tool="tests", input="", outcome="0/2 tests passed", passed=False)
    state = RunState(task=Task(question="q", kind="qa"), candidates=[liked, plain], evidence=[failed])
    update = await select(state, make_ctx())
    assert update["stopped_by"] == "budget" and update["answer"] == "4"
    fresh = {c.id: c for c in update["candidates"]}
    assert fresh["a"].scores.evidence == 0.0 and (fresh["a"].scores.total or 0) < (fresh["b"].scores.total or 0)
