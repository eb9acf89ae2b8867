"""Token streaming: the same Completion either way, deltas only to the sink of the run that asked."""

from __future__ import annotations

import asyncio
from typing import Any

from assay import streaming
from assay.context import RunContext
from assay.runtime import run
from assay.settings import load_settings
from assay.state import Task
from assay.testing import FakeLLM

PROMPT = [{"role": "user", "content": "Count to three"}]


def _fake() -> FakeLLM:
    return FakeLLM().on("Count", texts=["one two three", "uno dos tres"], logprob=[-0.1, -0.7])


async def test_without_a_sink_the_request_is_not_streamed() -> None:
    fake = _fake()
    async with fake.client() as llm:
        out = await streaming.chat(llm, PROMPT, agent="solver", n=2)
    assert [c.text for c in out.choices] == ["one two three", "uno dos tres"]
    assert "stream" not in fake.requests[0].body


async def test_streamed_completion_equals_the_plain_one_and_feeds_the_sink() -> None:
    fake, events = _fake(), list[dict[str, Any]]()
    async with fake.client() as llm:
        plain = await llm.chat(PROMPT, n=2, logprobs=True)
        with streaming.streaming_tokens(events.append):
            streamed = await streaming.chat(llm, PROMPT, agent="solver", n=2, logprobs=True)
    assert fake.requests[1].body["stream"] is True
    assert [c.text for c in streamed.choices] == [c.text for c in plain.choices]
    assert [[t.logprob for t in c.logprobs or []] for c in streamed.choices] == [
        [t.logprob for t in c.logprobs or []] for c in plain.choices
    ]
    assert streamed.usage == plain.usage
    first = "".join(e["delta"] for e in events if e["index"] == 0)
    assert first == "one two three" and {e["node"] for e in events} == {"solver"}


async def test_a_continued_reply_shows_its_start_first_but_the_completion_is_the_servers() -> None:
    fake, events = _fake(), list[dict[str, Any]]()
    start = [*PROMPT, {"role": "assistant", "content": "Counting: "}]
    async with fake.client() as llm:
        with streaming.streaming_tokens(events.append):
            out = await streaming.chat(llm, start, agent="solver", n=2, extra={"continue_final_message": True})
    assert [c.text for c in out.choices] == ["one two three", "uno dos tres"]  # the caller joins the start
    shown = ["".join(e["delta"] for e in events if e["index"] == i) for i in (0, 1)]
    assert shown == ["Counting: one two three", "Counting: uno dos tres"]


async def test_concurrent_runs_see_only_their_own_tokens() -> None:
    fake = FakeLLM().on("alpha", texts="a a a").on("beta", texts="b b b")
    seen: dict[str, list[str]] = {"alpha": [], "beta": []}

    async def one(word: str) -> None:
        with streaming.streaming_tokens(lambda e: seen[word].append(e["delta"])):
            await streaming.chat(llm, [{"role": "user", "content": word}], agent="solver")

    async with fake.client() as llm:
        await asyncio.gather(one("alpha"), one("beta"))
    assert "".join(seen["alpha"]).split() == ["a", "a", "a"]
    assert "".join(seen["beta"]).split() == ["b", "b", "b"]


async def test_run_streams_solver_tokens_to_on_event_only_when_asked(tmp_path: Any) -> None:
    fake = FakeLLM(default="no").on("Solve this problem", texts=["2 + 2 = 4\nAnswer: 4"], logprob=-0.01)
    judge = FakeLLM().on_classify("", p_yes=0.99)
    settings = load_settings(home=tmp_path, samples=2)
    ctx = RunContext(settings=settings, llm=fake.client(), judge=judge.client())
    task = Task(question="What is 2 + 2?", kind="math")
    quiet: list[dict[str, Any]] = []
    await run(task, ctx=ctx, on_event=quiet.append)
    loud: list[dict[str, Any]] = []
    state = await run(task, ctx=ctx, on_event=loud.append, stream_tokens=True)
    assert state.answer == "4"
    assert not [e for e in quiet if e["type"] == "token"]
    tokens = [e for e in loud if e["type"] == "token"]
    assert tokens and {e["node"] for e in tokens} == {"solver"}
    assert "".join(e["delta"] for e in tokens if e["index"] == 0) == "Step 1:2 + 2 = 4\nAnswer: 4"  # with the prefix
