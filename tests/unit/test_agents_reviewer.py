"""The review node: target choice, bounded structured output, evidence rule, retry and fallback."""

from __future__ import annotations

import json
from pathlib import Path

from assay.agents.reviewer import review, review_schema
from assay.context import RunContext
from assay.settings import load_settings
from assay.state import Candidate, Evidence, Review, RunState, Scores, Task
from assay.testing import FakeLLM


def make_ctx(tmp_path: Path, fake: FakeLLM) -> RunContext:
    return RunContext(settings=load_settings(home=tmp_path), llm=fake.client())


GOOD_REVIEWED = Review(id="r0-review-good", candidate_id="good", verdict="unsure", critique="checked")


def state(reviews: tuple[Review, ...] = (GOOD_REVIEWED,)) -> RunState:
    cands = [
        Candidate(id="good", text="Answer: 12", answer="12", scores=Scores(agreement=0.5, reward=0.9, steps=[0.9])),
        Candidate(
            id="bad",
            text="3+4=7\n7*2=14\nAnswer: 14",
            answer="14",
            scores=Scores(agreement=0.5, reward=0.8, steps=[0.9, 0.2, 0.6]),
        ),
    ]
    evidence = [
        Evidence(id="ev-good", candidate_id="good", tool="program", input="3*4", outcome="gives 12", passed=True),
        Evidence(
            id="ev-bad", candidate_id="bad", tool="program", input="3*4", outcome="gives 12, not 14", passed=False
        ),
    ]
    task = Task(question="3 bags of 4?", kind="math")
    return RunState(task=task, candidates=cands, evidence=evidence, reviews=list(reviews))


def reply(**fields: object) -> str:
    critique = "The second step multiplies the wrong numbers."
    return json.dumps({"verdict": "unsure", "critique": critique, "targets": [], "evidence_ids": [], **fields})


async def test_review_targets_weak_steps_and_failing_evidence(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Proposed solution", texts=[reply(verdict="incorrect", evidence_ids=["ev-bad", "ev-bad"])])
    update = await review(state(), make_ctx(tmp_path, fake))
    (rev,) = update["reviews"]
    assert (rev.id, rev.candidate_id, rev.verdict, rev.evidence_ids) == (
        "r0-review-bad",
        "bad",
        "incorrect",
        ["ev-bad"],
    )
    prompt = fake.requests[0].prompt
    assert "step 2 (score 0.20): 7*2=14" in prompt and "[ev-bad] gives 12, not 14" in prompt
    schema = fake.requests[0].body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["evidence_ids"]["items"]["enum"] == ["ev-bad"]
    assert schema["properties"]["critique"]["maxLength"] == 600
    assert update["usage"].calls == 1 and "notes" not in update


async def test_incorrect_without_valid_evidence_becomes_unsure(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Proposed solution", texts=[reply(verdict="incorrect", evidence_ids=["ev-good", "made-up"])])
    (rev,) = (await review(state(), make_ctx(tmp_path, fake)))["reviews"]
    assert rev.verdict == "unsure" and rev.evidence_ids == []


async def test_malformed_json_retries_then_falls_back_with_note(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Proposed solution", texts=["I think it is wrong {not json"])
    update = await review(state(), make_ctx(tmp_path, fake))
    (rev,) = update["reviews"]
    assert len(fake.requests) == 2 and "JSON schema" in fake.requests[1].prompt
    assert rev.verdict == "incorrect" and rev.evidence_ids == ["ev-bad"] and "gives 12, not 14" in rev.critique
    assert update["usage"].calls == 2
    assert "fallback" in update["notes"][0]


async def test_best_unreviewed_candidate_is_picked(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Proposed solution", texts=[reply()])
    (rev,) = (await review(state(reviews=()), make_ctx(tmp_path, fake)))["reviews"]
    assert rev.candidate_id == "good"  # consistent arithmetic is not proof: the best candidate still gets a review


async def test_hollow_critique_falls_back_to_evidence(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.on("Proposed solution", texts=[reply(critique="what is wrong and how to fix it")])
    update = await review(state(), make_ctx(tmp_path, fake))
    (rev,) = update["reviews"]
    assert rev.verdict == "incorrect" and rev.evidence_ids == ["ev-bad"] and "gives 12, not 14" in rev.critique
    assert "echoed the prompt" in update["notes"][0] and len(fake.requests) == 1


async def test_schema_rejected_by_server_falls_back(tmp_path: Path) -> None:
    fake = FakeLLM()
    fake.fail(400, message="response_format json_schema is not supported")
    update = await review(state(), make_ctx(tmp_path, fake))
    (rev,) = update["reviews"]
    assert rev.verdict == "incorrect" and rev.evidence_ids == ["ev-bad"]
    assert "fallback" in update["notes"][0] and update["usage"].calls == 0


async def test_nothing_to_review_when_every_candidate_is_confirmed_or_reviewed(tmp_path: Path) -> None:
    fake = FakeLLM()
    done = Review(id="r0", candidate_id="bad", verdict="unsure", critique="x")
    update = await review(state(reviews=(GOOD_REVIEWED, done)), make_ctx(tmp_path, fake))
    assert "reviews" not in update and fake.requests == []


def test_schema_without_failing_evidence_allows_no_ids() -> None:
    assert review_schema([])["properties"]["evidence_ids"]["maxItems"] == 0
