"""Usage accounting: lifetime totals and per-run ``track()`` blocks, nested and concurrent."""

from __future__ import annotations

import asyncio

from assay.llm.client import LLMClient
from assay.llm.types import Usage
from assay.testing import FakeLLM


def _msg(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def _run(llm: LLMClient, words: int, calls: int) -> Usage:
    with llm.track() as usage:
        for _ in range(calls):
            await llm.chat(_msg(" ".join(["w"] * words)))
            await asyncio.sleep(0)  # let the other runs interleave
    return usage


async def test_concurrent_runs_are_accounted_separately() -> None:
    fake = FakeLLM(default="one two three")
    async with fake.client() as llm:
        a, b, c = await asyncio.gather(_run(llm, 2, 3), _run(llm, 5, 1), _run(llm, 1, 4))
        total = llm.usage
    assert (a.calls, a.prompt_tokens, a.completion_tokens) == (3, 6, 9)
    assert (b.calls, b.prompt_tokens, b.completion_tokens) == (1, 5, 3)
    assert (c.calls, c.prompt_tokens, c.completion_tokens) == (4, 4, 12)
    assert total == a + b + c


async def test_nested_tracks_and_child_tasks_all_count() -> None:
    fake = FakeLLM(default="x")
    async with fake.client() as llm:
        with llm.track() as outer:
            await llm.chat(_msg("a"))
            with llm.track() as inner:
                await asyncio.gather(llm.chat(_msg("b c")), llm.score("d e f"))
            await llm.classify(["g"])
        await llm.chat(_msg("outside"))
        total = llm.usage
    assert (inner.calls, inner.prompt_tokens) == (2, 5)
    assert (outer.calls, outer.prompt_tokens) == (4, 7)
    assert total.calls == 5


async def test_usage_property_is_a_snapshot() -> None:
    fake = FakeLLM()
    async with fake.client() as llm:
        before = llm.usage
        await llm.chat(_msg("hi"))
        assert before.calls == 0 and llm.usage.calls == 1


async def test_stream_closed_early_still_counts_one_call() -> None:
    fake = FakeLLM(default="a b c d")
    async with fake.client() as llm:
        with llm.track() as usage:
            stream = llm.stream_chat(_msg("hi"))
            async for chunk in stream:
                if chunk.delta:
                    break
            await stream.aclose()
    assert usage.calls == 1
