"""Faults during a whole graph run (real agent nodes on a scripted fake): the state up to the fault is in the
checkpoint, the run ends with one clear line, and ``--thread`` resumes it without redoing finished requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from assay import _fake_replies as replies
from assay.context import RunContext
from assay.errors import LLMHTTPError
from assay.llm import _procs
from assay.llm.client import LLMClient
from assay.runtime import open_checkpointer, run
from assay.settings import Settings
from assay.state import Task
from assay.testing import FakeLLM

TASK = Task(question="What is 2 + 2?", kind="math", reference="4")
SOLVER, REVIEWER, REFINER = (
    "You are a careful problem solver",
    "You review a proposed solution",
    "You improve a solution",
)


def generator() -> FakeLLM:
    fake = FakeLLM(default="no idea")
    fake.on(REFINER, texts=["2 + 2 = 4\nAnswer: 4\nConfidence: 95%"], logprob=-0.05)
    wrong = ["2 + 2 = 5\nAnswer: 5\nConfidence: 90%", "2 + 2 = 6\nAnswer: 6"]
    fake.on("Solve this problem", texts=wrong, logprob=-0.3)
    return fake


def judge() -> FakeLLM:
    return FakeLLM().on_classify("Final answer: 4", p_yes=0.97).on_classify("Final answer:", p_yes=0.1)


def failing_on(fake: FakeLLM, marker: str, status: int = 503) -> httpx.MockTransport:
    """The fake's answers, except HTTP ``status`` for every request whose body contains ``marker``."""

    async def handle(request: httpx.Request) -> httpx.Response:
        if marker in request.content.decode():
            fake.calls["failed"] += 1
            return httpx.Response(status, json=replies.error_body(status, "scripted outage", "ServiceUnavailableError"))
        return await fake._handle(request)

    return httpx.MockTransport(handle)


def count(fake: FakeLLM, marker: str) -> int:
    return sum(marker in r.prompt for r in fake.requests)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(samples=4, checkpoint_path=tmp_path / "cp.sqlite", home=tmp_path, base_url=None)


@pytest.fixture
async def judge_client() -> AsyncIterator[LLMClient]:
    async with judge().client() as client:
        yield client


async def test_a_generator_outage_mid_run_keeps_the_checkpoint_and_resume_redoes_nothing(
    settings: Settings, judge_client: LLMClient, waits: list[float]
) -> None:
    fake = generator()
    async with LLMClient("http://127.0.0.1:9", model="fake", transport=failing_on(fake, REVIEWER)) as down:
        with pytest.raises(LLMHTTPError) as info:
            await run(TASK, ctx=RunContext(settings=settings, llm=down, judge=judge_client), thread_id="t")
    assert "HTTP 503" in str(info.value) and "\n" not in str(info.value)
    assert fake.calls["failed"] == 4 and len(waits) == 3  # bounded: max_attempts, with backoff between
    async with open_checkpointer(settings.checkpoints) as saver:
        saved = await saver.aget_tuple({"configurable": {"thread_id": "t"}})
    assert saved is not None and saved.checkpoint["channel_values"]["candidates"], "the solver's work was saved"
    solver_requests = count(fake, SOLVER)
    async with fake.client() as healthy:
        state = await run(TASK, ctx=RunContext(settings=settings, llm=healthy, judge=judge_client), thread_id="t")
    assert count(fake, SOLVER) == solver_requests  # finished nodes were not re-run
    assert state.answer == await uninterrupted_answer(settings, judge_client)


async def uninterrupted_answer(settings: Settings, judge_client: LLMClient) -> str | None:
    async with generator().client() as llm:
        state = await run(TASK, ctx=RunContext(settings=settings, llm=llm, judge=judge_client), thread_id="clean")
    return state.answer


async def test_judge_down_while_generator_up_finishes_without_the_reward(
    settings: Settings, waits: list[float]
) -> None:
    fake = generator()
    dead = f"http://127.0.0.1:{_procs.free_port('127.0.0.1')}"
    async with fake.client() as llm, LLMClient(dead, model="judge", max_attempts=2) as no_judge:
        state = await run(TASK, ctx=RunContext(settings=settings, llm=llm, judge=no_judge), thread_id="j")
    assert state.answer is not None and state.stopped_by
    assert any("judge failed" in note and "cannot reach the model server" in note for note in state.notes)
    assert all(c.scores.reward is None for c in state.candidates)  # unmeasured, never invented


async def test_missing_logprobs_leave_confidence_unmeasured(settings: Settings, judge_client: LLMClient) -> None:
    fake = generator()

    async def no_logprobs(request: httpx.Request) -> httpx.Response:
        response = await fake._handle(request)
        if request.url.path != "/v1/chat/completions" or b'"stream":true' in request.content:
            return response
        data = json.loads(response.content)
        for choice in data["choices"]:
            choice["logprobs"] = None
        return httpx.Response(200, json=data)

    async with LLMClient("http://127.0.0.1:9", model="fake", transport=httpx.MockTransport(no_logprobs)) as llm:
        state = await run(TASK, ctx=RunContext(settings=settings, llm=llm, judge=judge_client), thread_id="lp")
    assert state.answer == "4"
    assert all(c.scores.confidence is None for c in state.candidates)
