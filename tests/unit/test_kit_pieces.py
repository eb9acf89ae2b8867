"""The kit's pieces on plain data: typed updates, settings overrides, stop rules, selectors, state reducers."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, ValidationError

from assay import kit
from assay.context import RunContext
from assay.llm.types import Usage
from assay.runtime import checkpoint_serde, register_state_type
from assay.settings import Settings
from assay.state import Budget, Candidate, Evidence, Review, RunState, Scores, Task, merge_extra, register_kind


def cand(cid: str, answer: str, total: float | None = None, reward: float | None = None, round_: int = 0) -> Candidate:
    return Candidate(id=cid, text=answer, answer=answer, round=round_, scores=Scores(total=total, reward=reward))


def state_of(*cands: Candidate, **fields: Any) -> RunState:
    return RunState(task=Task(question="q", kind="math"), candidates=list(cands), **fields)


def ctx(**settings: Any) -> RunContext:
    return RunContext(settings=Settings(**settings), llm=None)  # type: ignore[arg-type]


def test_a_misspelt_update_key_fails_with_the_near_miss() -> None:
    with pytest.raises(kit.UpdateError, match=r"node 'solve' returned unknown state key\(s\) 'candidate' \(did you "
                                              r"mean 'candidates'\?\)"):  # fmt: skip
        kit.check_update("solve", {"candidate": []})
    assert kit.check_update("solve", {"candidates": [], "notes": ["x"]}) == {"candidates": [], "notes": ["x"]}
    assert set(RunState.model_fields) - {"task", "budget"} | {"extra"} >= kit.UPDATE_KEYS


async def test_the_adapter_rejects_a_bad_update_inside_a_graph() -> None:
    async def typo(state: RunState, c: RunContext) -> dict[str, Any]:
        return {"best": "x"}

    f = kit.Flow()
    f.step("solve", typo, "select", llm=False)
    f.finish("select", kit.finish(kit.best_so_far))
    with pytest.raises(kit.UpdateError, match="'best' \\(did you mean 'best_id'\\?\\)"):
        await f.start("solve").compile().ainvoke(state_of(), context=ctx())


async def test_with_settings_overrides_values_and_functions_of_the_state() -> None:
    seen: list[tuple[int, float]] = []

    async def solve(state: RunState, c: RunContext) -> dict[str, Any]:
        seen.append((c.settings.samples, c.settings.temperature))
        return {}

    await kit.with_settings(solve, samples=1, temperature=lambda s, st: st.temperature + s.round)(
        state_of(round=2), ctx(temperature=0.5))  # fmt: skip
    assert seen == [(1, 2.5)]
    with pytest.raises(TypeError, match="unknown setting"):
        kit.with_settings(solve, sample=1)


def test_stop_rules_explain_themselves_and_compose() -> None:
    settings = Settings(tau_confident=0.8, patience=2, max_rounds=3)
    s = state_of(cand("a", "4", total=0.85), round=1)
    p = kit.Progress(round=1, best_total=0.85, no_improve=2)
    assert kit.Confident().check(s, p, settings) == "stop: confident, best total 0.85 >= 0.8"
    assert kit.Confident(tau=0.9).check(s, p, settings) is None
    assert kit.Patience().check(s, p, settings) == "stop: no improvement for 2 round(s) (patience 2)"
    assert kit.MaxRounds(1).check(s, p, settings) == "stop: max_rounds 1 reached"
    assert kit.MaxRounds(9).thresholds(s, settings) == {"max_rounds": 3}  # never above the setting
    spent = state_of(usage=Usage(calls=5), budget=Budget(max_calls=5))
    assert kit.BudgetLimit().check(spent, p, settings) == "stop: calls budget exhausted"
    stops = kit.Stops(kit.MaxRounds(5)) | kit.Patience()
    stopped = stops.first(s, p, settings)
    assert stopped is not None and stopped.reason == "no_improvement"
    assert stops.thresholds(s, settings) == {"max_rounds": 3, "patience": 2}


def test_evidence_and_agreement_stops() -> None:
    settings, p = Settings(), kit.Progress(0, 0.0, 0)
    a, b = cand("a", "4"), cand("b", "5")
    failed = Evidence(id="e", candidate_id="a", tool="tests", input="", outcome="no", passed=False)
    s = state_of(a, b, evidence=[failed])
    assert kit.Unrefuted().check(s, p, settings) == "stop: no tool evidence against b"
    assert kit.Unrefuted().check(state_of(a, evidence=[failed]), p, settings) is None
    confirmed = state_of(a.model_copy(update={"scores": Scores(evidence=1.0)}))
    assert kit.Verified().check(confirmed, p, settings) == "stop: tools confirm a"
    assert (
        kit.Consensus().check(state_of(a, cand("c", "4.0")), p, settings) == "stop: 100% of this round's answers agree"
    )
    assert kit.Consensus().check(s, p, settings) is None


def test_selectors_pick_by_vote_weight_reward_and_recency() -> None:
    pool = [cand("a", "5", 0.9, 0.9), cand("b", "4", 0.4, 0.3), cand("c", "4", 0.5, 0.3), cand("d", "7", 0.1, 0.1, 1)]
    s = state_of(*pool)
    assert kit.voted()(s).winner.id == "c"  # type: ignore[union-attr]  # two votes for 4, best of them
    assert kit.weighted_vote()(s).winner.id == "a"  # type: ignore[union-attr]  # 0.9 > 0.3 + 0.3
    assert kit.best_of(kit.reward)(s).winner.id == "a"  # type: ignore[union-attr]
    assert kit.latest(s).winner.id == "d"  # type: ignore[union-attr]
    assert kit.best_so_far(state_of()).winner is None


async def test_finish_records_a_budget_route_when_cut_short() -> None:
    spent = state_of(cand("a", "4", 0.5), usage=Usage(calls=3), budget=Budget(max_calls=3))
    update = await kit.finish(kit.best_so_far)(spent, ctx())
    assert update["stopped_by"] == "budget" and update["answer"] == "4"
    assert [(r.source, r.target) for r in update["routes"]] == [("budget", "select"), ("select", "__end__")]
    done = await kit.finish(kit.best_so_far)(state_of(cand("a", "4")), ctx())
    assert done["stopped_by"] == "done" and len(done["routes"]) == 1


def test_merged_applies_the_reducers() -> None:
    s = state_of(cand("a", "4"), extra={"beams": [1], "x": 1})
    after = kit.merged(s, {"candidates": [cand("a", "5"), cand("b", "6")], "extra": {"x": None, "y": 2}, "round": 3})
    assert [c.answer for c in after.candidates] == ["5", "6"] and after.extra == {"beams": [1], "y": 2}
    assert after.round == 3 and merge_extra({"a": 1}, {"a": None}) == {}


class Beam(BaseModel):
    steps: list[str]


async def test_extra_round_trips_through_the_checkpoint_with_an_allow_listed_model() -> None:
    register_state_type(Beam)

    async def keep(state: RunState, c: RunContext) -> dict[str, Any]:
        return {"extra": {"beam": Beam(steps=["a"]), "log": [{"round": 1}]}}

    f = kit.Flow()
    f.step("solve", keep, "select", llm=False)
    f.finish("select", kit.finish(kit.best_so_far))
    app = f.start("solve").compile(checkpointer=InMemorySaver(serde=checkpoint_serde()))
    cfg: Any = {"configurable": {"thread_id": "t"}}
    await app.ainvoke(state_of(), cfg, context=ctx())
    revived = RunState.model_validate((await app.aget_state(cfg)).values)
    assert revived.extra == {"beam": Beam(steps=["a"]), "log": [{"round": 1}]}


def test_task_kinds_are_open_but_checked() -> None:
    with pytest.raises(ValidationError, match="unknown task kind 'physics'"):
        Task(question="q", kind="physics")
    register_kind("physics")
    assert Task(question="q", kind="physics").kind == "physics"
    with pytest.raises(ValueError, match="identifier"):
        register_kind("two words")


def test_a_review_keeps_its_evidence_rule() -> None:  # the open vocabulary did not loosen the verdicts
    assert Review(id="r", candidate_id="a", verdict="incorrect", critique="x").verdict == "unsure"
