"""Adaptive on a token budget: one greedy answer first; more samples only when its signals call for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _recipe_fakes import count, nodes_run, run_recipe

from assay.state import Task
from assay.testing import FakeLLM

CODE = Task(question="Write add(a, b) returning the sum.", kind="code", tests=["assert add(1, 2) == 3"],
            entry_point="add")  # fmt: skip
ASK = "Write a Python function"


def code(op: str) -> str:
    return f"```python\ndef add(a, b):\n    return a {op} b\n```"


async def test_a_greedy_answer_the_tests_confirm_costs_one_request_and_no_judge(tmp_path: Path) -> None:
    fake, jud, events = FakeLLM(default="no idea").on(ASK, texts=[code("+")]), FakeLLM(), []
    state = await run_recipe("adaptive", fake, tmp_path, task=CODE, jud=jud, events=events, samples=4,
                             sandbox_allow_weak=True)  # fmt: skip
    body = next(r.body for r in fake.requests if ASK in r.prompt)
    assert count(fake, ASK) == 1 and body.get("n", 1) == 1 and body["temperature"] == 0.0
    assert not jud.requests and nodes_run(events) == ["solve", "verify", "probe", "aggregate"]
    assert state.stopped_by == "easy" and "confirmed by tests" in state.routes[0].reason
    assert state.usage.calls == 1  # exactly the greedy pass's cost


async def test_failing_tests_widen_to_the_other_samples_at_temperature(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea").on(ASK, texts=[code("-"), code("+"), code("+")])
    events: list[dict[str, Any]] = []
    state = await run_recipe("adaptive", fake, tmp_path, task=CODE, events=events, samples=4, temperature=0.7,
                             sandbox_allow_weak=True)  # fmt: skip
    bodies = [r.body for r in fake.requests if ASK in r.prompt and "improve" not in r.prompt]
    assert [(b.get("n", 1), b["temperature"]) for b in bodies[:2]] == [(1, 0.0), (3, 0.7)]
    assert nodes_run(events)[:5] == ["solve", "verify", "probe", "widen", "verify"]
    assert state.routes[0].target == "widen" and "refuted" in state.routes[0].reason
    assert state.answer is not None and "a + b" in state.answer and len(state.round_candidates(0)) == 4


async def test_logprob_confidence_alone_never_accepts_the_greedy_answer(tmp_path: Path) -> None:
    task = Task(question="Who wrote Hamlet?", kind="open")  # no tool checks an open answer
    sure = FakeLLM(default="Shakespeare")  # logprob -0.05: confidence 0.95, and still only a self-report
    state = await run_recipe("adaptive", sure, tmp_path, task=task, samples=3)
    first = state.routes[0]
    assert first.source == "probe" and first.target == "widen" and "unconfirmed" in first.reason
    assert (first.signals["confidence"] or 0) > 0.9 and len(state.round_candidates(0)) == 3


async def test_a_confident_qa_answer_no_tool_checked_is_widened(tmp_path: Path) -> None:
    task = Task(question="What is the capital of Australia?", kind="qa")
    fake = FakeLLM(default="Answer: Sydney\nConfidence: 95%")  # logprob -0.05: confidence 0.95, yet unchecked
    state = await run_recipe("adaptive", fake, tmp_path, task=task, samples=3)
    assert state.routes[0].target == "widen" and "unconfirmed" in state.routes[0].reason


UNTESTED = Task(question="Write add(a, b) returning the sum.", kind="code", entry_point="add")  # no tests, no >>>
TESTGEN = "Write 5 assert statements"


async def test_untested_code_that_loads_is_kept_unverified_without_model_written_tests(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea").on(ASK, texts=[code("+")]).on(TESTGEN, texts=["assert add(1, 1) == 3"])
    events: list[dict[str, Any]] = []
    state = await run_recipe("adaptive", fake, tmp_path, task=UNTESTED, events=events, samples=4,
                             sandbox_allow_weak=True)  # fmt: skip
    assert nodes_run(events) == ["solve", "verify", "probe", "aggregate"] and count(fake, TESTGEN) == 0
    assert state.routes[0].target == "aggregate" and "kept unverified" in state.routes[0].reason
    assert state.usage.calls == 1 and state.answer is not None and "a + b" in state.answer
    assert not any(e.passed and e.tool != "compile" for e in state.evidence)  # nothing claims it was checked


async def test_untested_code_widens_and_writes_tests_when_configured(tmp_path: Path) -> None:
    fake = FakeLLM(default="no idea").on(ASK, texts=[code("+")]).on(TESTGEN, texts=["assert add(1, 2) == 3"])
    state = await run_recipe("adaptive", fake, tmp_path, task=UNTESTED, samples=3, widen_untested_code=True,
                             sandbox_allow_weak=True)  # fmt: skip
    assert count(fake, TESTGEN) == 1 and state.routes[0].target == "widen"
    assert "no decisive tool pass" in state.routes[0].reason and len(state.round_candidates(0)) == 3


async def test_untested_code_that_does_not_load_widens_and_ranks_the_pool_by_model_written_tests(
    tmp_path: Path,
) -> None:
    broken = "```python\ndef add(a, b)\n    return a + b\n```"  # a syntax error: the load check refutes it
    fake = FakeLLM(default="no idea").on(ASK, texts=[broken, code("-"), code("+")])
    fake.on(TESTGEN, texts=["assert add(1, 2) == 3\nassert add(2, 2) == 4"])
    state = await run_recipe("adaptive", fake, tmp_path, task=UNTESTED, samples=4, sandbox_allow_weak=True)
    assert state.routes[0].target == "widen" and "refuted" in state.routes[0].reason
    assert count(fake, TESTGEN) == 1  # written once, for the widened pool
    assert state.answer is not None and "a + b" in state.answer
