"""The verify node with the real sandbox: unit tests for code, arithmetic re-runs for math, claims for QA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import assay.tools.tests
from assay.agents.verifier import program_for, verify
from assay.context import RunContext
from assay.settings import load_settings
from assay.state import Candidate, Evidence, RunState, Task
from assay.testing import FakeLLM
from assay.tools.types import Passage

TESTS = ["assert add(1, 2) == 3", "assert add(0, 0) == 0", "assert add(-1, 1) == 0"]


def make_ctx(tmp_path: Path, fake: FakeLLM | None = None, retriever: Any = None) -> RunContext:
    llm = (fake or FakeLLM()).client()
    return RunContext(settings=load_settings(home=tmp_path), llm=llm, retriever=retriever)


def code_state() -> RunState:
    cands = [
        Candidate(id="ok", text="", answer="def add(a, b):\n    return a + b"),
        Candidate(id="half", text="", answer="def add(a, b):\n    return a * b"),
        Candidate(id="broken", text="", answer="def add(a, b):\n    return a +"),
        Candidate(id="old", text="", answer="def add(a, b):\n    return 0", round=0),
        Candidate(id="done", text="", answer="def add(a, b):\n    return a + b"),
    ]
    for c in cands[:3] + cands[4:]:
        c.round = 1
    seen = Evidence(id="ev-done-tests", candidate_id="done", tool="tests", input="", outcome="", passed=True)
    task = Task(question="Write add(a, b).", kind="code", tests=TESTS, entry_point="add")
    return RunState(task=task, candidates=cands, evidence=[seen], round=1)


async def test_code_candidates_get_per_test_evidence(tmp_path: Path) -> None:
    update = await verify(code_state(), make_ctx(tmp_path))
    by_cand = {e.candidate_id: e for e in update["evidence"]}
    assert set(by_cand) == {"ok", "half", "broken"}  # other rounds and verified candidates are skipped
    ok, half, broken = by_cand["ok"], by_cand["half"], by_cand["broken"]
    assert ok.id == "ev-ok-tests" and ok.passed is True and ok.details["passed"] == 3 == ok.details["total"]
    assert half.passed is False and half.details["outcomes"] == [False, True, False]
    assert half.details["failures"][0]["test"] == "assert add(1, 2) == 3"
    assert "1/3 tests passed" in half.outcome
    assert broken.passed is False and broken.details["passed"] == 0 and broken.details["error"]
    assert update["usage"].calls == 0


async def test_tool_crash_becomes_undecided_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("sandbox exploded")

    monkeypatch.setattr(assay.tools.tests, "run_tests", boom)
    update = await verify(code_state(), make_ctx(tmp_path))
    assert {e.passed for e in update["evidence"]} == {None}
    assert all("sandbox exploded" in e.details["error"] for e in update["evidence"])


def test_body_only_completion_gets_the_signature() -> None:
    task = Task(question='def add(a, b):\n    """Sum."""\n', kind="code", entry_point="add")
    assert program_for(task, "    return a + b") == 'def add(a, b):\n    """Sum."""\n    return a + b'
    assert program_for(task, "def add(a, b):\n    return 0") == "def add(a, b):\n    return 0"


async def test_math_reruns_the_arithmetic(tmp_path: Path) -> None:
    cands = [
        Candidate(id="right", text="3*4=12\nAnswer: 12", answer="12"),
        Candidate(id="wrongstep", text="3*4=13\nAnswer: 13", answer="13"),
        Candidate(id="mismatch", text="3*4 = 12 and 12+1 = 13\nAnswer: 14", answer="14"),
        Candidate(id="words", text="It is twelve.\nAnswer: 12", answer="12"),
    ]
    update = await verify(
        RunState(task=Task(question="3 bags of 4?", kind="math"), candidates=cands), make_ctx(tmp_path)
    )
    ev = {e.candidate_id: e for e in update["evidence"]}
    assert ev["right"].passed is None and ev["right"].details["value"] == "12"  # a pass proves little
    assert ev["wrongstep"].passed is False and "3*4 = 13 (computed 12)" in ev["wrongstep"].outcome
    assert ev["mismatch"].passed is None and "does not match" in ev["mismatch"].outcome  # right steps: undecided
    assert ev["mismatch"].details["mismatch"] is True and ev["right"].details["mismatch"] is False
    assert ev["words"].passed is None and ev["words"].tool == "program"


class Shelf:
    async def search(self, query: str, k: int = 5) -> list[Passage]:
        text = "Paris is the capital and largest city of France."
        return [Passage(id="p1", title="Paris", text=text, score=1.0)]


async def test_qa_checks_claims_against_passages(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Claim: The capital of France is Paris.", texts=["supported"])
    fake.on("Claim:", texts=["contradicted"])
    cands = [  # the solver's real format: the claim comes from question + answer, not the justification
        Candidate(id="a", text="Answer: Paris\nLyon is a city.\nConfidence: 90%", answer="Paris"),
        Candidate(id="b", text="Answer: Lyon\nParis is the capital of France.\nConfidence: 90%", answer="Lyon"),
    ]
    state = RunState(task=Task(question="What is the capital of France?", kind="qa"), candidates=cands)
    update = await verify(state, make_ctx(tmp_path, fake, Shelf()))
    ev = {e.candidate_id: e for e in update["evidence"] if e.tool == "factcheck"}
    assert (ev["a"].id, ev["a"].passed, ev["a"].tool) == ("ev-a-claim0", True, "factcheck")
    assert ev["b"].passed is False and ev["b"].details["passage_ids"] == ["p1"]
    assert update["usage"].calls == 2
    grounding = {e.candidate_id: e.passed for e in update["evidence"] if e.tool == "grounding"}
    assert grounding == {"a": True, "b": False}  # "lyon" is in none of the passages; no model call for it


async def test_qa_without_retriever_records_a_note(tmp_path: Path) -> None:
    state = RunState(task=Task(question="Capital?", kind="qa"), candidates=[Candidate(id="a", text="Paris.")])
    update = await verify(state, make_ctx(tmp_path))
    assert "evidence" not in update and "no retriever" in update["notes"][0]


async def test_open_tasks_have_no_verifier(tmp_path: Path) -> None:
    state = RunState(task=Task(question="A poem", kind="open"), candidates=[Candidate(id="a", text="x")])
    assert await verify(state, make_ctx(tmp_path)) == {}
