"""The library recipes on the fake backend: control flow (which nodes run, when they stop, what they pick)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _recipe_fakes import MATH, REFINER, REVIEWER, SOLVER, count, generator, judge, math_text, nodes_run, run_recipe

from assay.context import RunContext
from assay.graphs.rm_ensemble import build_rm_ensemble
from assay.settings import Settings
from assay.state import RunState, Task
from assay.testing import FakeLLM


async def test_rm_ensemble_discounts_what_the_scorers_disagree_on(tmp_path: Path) -> None:
    gen = generator(["5", "4"]).on("Is the final answer correct", texts=["yes"])  # the generator as a lax judge
    events: list[dict[str, Any]] = []
    state = await run_recipe("rm-ensemble", gen, tmp_path, events=events, samples=2)
    assert nodes_run(events) == ["solve", "rank", "select"] and state.answer == "4"
    rewards = {c.answer: c.scores.reward for c in state.candidates}
    assert rewards["5"] == 0.0  # mean 0.4 of (0.1, 0.1, 1.0) minus a spread of 0.42, clipped
    assert rewards["4"] is not None and 0.9 < rewards["4"] < 0.967  # mean 0.967 minus a small spread
    gen = generator(["5", "4"]).on("Is the final answer correct", texts=["yes"])
    async with gen.client() as llm, judge().client() as jc:
        app = build_rm_ensemble(agg="min").compile()
        ctx = RunContext(settings=Settings(samples=2), llm=llm, judge=jc)
        low = RunState.model_validate(await app.ainvoke(RunState(task=MATH), context=ctx))
    assert {c.answer: c.scores.reward for c in low.candidates} == {"5": 0.1, "4": 0.95}


async def test_ioe_keeps_a_confident_answer_without_more_calls(tmp_path: Path) -> None:
    fake, events = generator(["5"]), []
    state = await run_recipe("ioe", fake, tmp_path, events=events)
    assert state.stopped_by == "confident" and state.answer == "5" and count(fake, REFINER) == 0
    assert nodes_run(events) == ["solve", "route", "select"] and state.routes[0].signals["self_confidence"] == 0.9


async def test_ioe_revises_once_when_unsure_and_returns_the_more_confident(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea").on(REFINER, texts=[math_text("4", 95)]).on(SOLVER, texts=[math_text("5", 30)])
    state = await run_recipe("ioe", fake, tmp_path)
    assert count(fake, REFINER) == 1 and state.round == 1 and state.stopped_by == "max_rounds"
    assert state.answer == "4" and state.best is not None and state.best.origin == "refiner"


async def test_critic_stops_when_no_evidence_refutes_the_answer(tmp_path: Path) -> None:
    fake, events = generator(["4"]), []
    state = await run_recipe("critic", fake, tmp_path, events=events)
    assert nodes_run(events) == ["solve", "verify", "tally", "route", "select"]
    assert state.stopped_by in ("verified", "unrefuted") and state.answer == "4" and count(fake, REVIEWER) == 0


async def test_critic_revises_on_failing_evidence(tmp_path: Path) -> None:
    fake, events = generator(["5"], refined=["4"]), []
    state = await run_recipe("critic", fake, tmp_path, events=events)
    assert any(e.passed is False for e in state.evidence)  # "2 + 2 = 5" fails the arithmetic re-run
    assert nodes_run(events)[4:6] == ["review", "refine"] and count(fake, REVIEWER) >= 1
    assert state.answer == "4" and state.round == 1


CODE = Task(question="Write add(a, b) returning the sum.", kind="code", tests=["assert add(1, 2) == 3"],
            entry_point="add")  # fmt: skip


def code_text(op: str) -> str:
    return f"```python\ndef add(a, b):\n    return a {op} b\n```"


async def test_test_refine_feeds_failures_back_until_the_tests_pass(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea").on(REFINER, texts=[code_text("+")]).on("Write a Python function", texts=[
        code_text("-"), code_text("*")])  # fmt: skip
    events: list[dict[str, Any]] = []
    state = await run_recipe("test-refine", fake, tmp_path, task=CODE, events=events, samples=2,
                             sandbox_allow_weak=True)  # fmt: skip
    assert count(fake, REVIEWER) == 0 and count(fake, REFINER) == 1  # the failing tests are the critique
    refine_prompt = next(r.prompt for r in fake.requests if REFINER in r.prompt)
    assert "assert add(1, 2) == 3" in refine_prompt
    assert state.stopped_by == "verified" and state.answer is not None and "a + b" in state.answer


async def test_step_beam_expands_live_beams_in_parallel_and_keeps_the_best(tmp_path: Path) -> None:
    fake = FakeLLM(default="Answer: 7")
    fake.on("Solution so far:\n(nothing yet)", texts=["2 + 2 = 4", "2 + 2 = 5"])
    fake.on("Solution so far:\n2 + 2 = 4", texts=["Answer: 4"])
    fake.on("Solution so far:\n2 + 2 = 5", texts=["Answer: 5"])
    jud = FakeLLM().on_classify("= 5", p_yes=0.2).on_classify("", p_yes=0.9)
    events: list[dict[str, Any]] = []
    state = await run_recipe("step-beam", fake, tmp_path, jud=jud, events=events)
    ran = nodes_run(events)
    assert ran.count("expand") == 3  # depth 1: the root; depth 2: both surviving beams, as parallel Sends
    assert state.stopped_by == "searched" and state.answer == "4" and state.extra["beams"] == []
    assert {c.origin for c in state.candidates} == {"beam"} and len(state.candidates) == 2


async def test_debate_flags_unsupported_switches_and_votes_on_the_last_round(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea").on("Other solvers answered", texts=[math_text("7")])
    fake.on(SOLVER, texts=[math_text("4"), math_text("6"), math_text("6")])
    state = await run_recipe("debate", fake, tmp_path, samples=3, max_rounds=1)
    assert count(fake, "Other solvers answered") == 3  # one Send branch per debater
    log = state.extra["debate"]
    assert len(log["rounds"]) == 2 and state.stopped_by in ("consensus", "max_rounds")
    # 4 -> 7 is flagged (no tool refuted 4 or confirmed 7); leaving the refuted "2 + 2 = 6" is not
    assert [f["to"] for f in log["flags"]] == ["r1-debater-0"]
    assert state.answer == "7" and any("without tool support" in n for n in state.notes)


async def test_debate_with_consensus_never_argues(tmp_path: Path) -> None:
    fake = generator(["4"])
    state = await run_recipe("debate", fake, tmp_path, samples=3)
    assert state.stopped_by == "consensus" and count(fake, "Other solvers answered") == 0 and state.answer == "4"


async def test_step_beam_stops_at_the_depth_limit_and_keeps_the_live_beams(tmp_path: Path) -> None:
    fake = FakeLLM(default="one more step")
    state = await run_recipe("step-beam", fake, tmp_path, jud=FakeLLM().on_classify("", p_yes=0.6))
    assert state.stopped_by == "searched" and state.round == 6  # within the recipe's own recursion limit
    assert state.candidates and all(len(c.text.splitlines()) == 6 for c in state.candidates)
