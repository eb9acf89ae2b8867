"""Wire faults on a real loopback socket: each gets bounded retries with backoff, then success or one clear error."""

from __future__ import annotations

import time
from contextlib import aclosing

import pytest
from _fault_server import FaultServer, Step, serving

from assay.errors import LLMHTTPError, LLMTimeout, MalformedResponse, ServerUnavailable
from assay.llm import _procs
from assay.llm.client import LLMClient
from assay.llm.deadline import call_deadline, deadline_left

USER = [{"role": "user", "content": "hello"}]


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


@pytest.mark.parametrize("status", [500, 503])
async def test_5xx_then_success_with_exponential_backoff(status: int, waits: list[float]) -> None:
    async with serving(Step("status", status), Step("status", status)) as (server, llm):
        assert (await llm.chat(USER)).text == "fine"
    assert server.seen == ["/v1/chat/completions"] * 3
    assert len(waits) == 2 and 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 1.5


async def test_5xx_forever_is_bounded_then_one_clear_error(waits: list[float]) -> None:
    async with serving(*[Step("status", 503)] * 10, max_attempts=3) as (server, llm):
        with pytest.raises(LLMHTTPError) as info:
            await llm.chat(USER)
    assert len(server.seen) == 3 and len(waits) == 2
    assert "HTTP 503" in one_line(info.value) and info.value.status_code == 503


async def test_429_retry_after_is_honoured(waits: list[float]) -> None:
    async with serving(Step("status", 429, {"Retry-After": "1.5"})) as (_, llm):
        assert (await llm.chat(USER)).text == "fine"
    assert waits == [1.5]


async def test_retry_after_past_the_call_deadline_gives_up_at_once(waits: list[float]) -> None:
    async with serving(Step("status", 429, {"Retry-After": "20"}), timeout_s=5) as (server, llm):
        with pytest.raises(LLMHTTPError, match="HTTP 429"):
            await llm.chat(USER)
    assert waits == [] and len(server.seen) == 1  # waiting 20 s would pass the 5 s the call may take


async def test_connection_refused_is_bounded_then_one_clear_error(waits: list[float]) -> None:
    url = f"http://127.0.0.1:{_procs.free_port('127.0.0.1')}"
    async with LLMClient(url, model="m", max_attempts=3) as llm:
        with pytest.raises(ServerUnavailable) as info:
            await llm.chat(USER)
    assert "cannot reach the model server" in one_line(info.value) and len(waits) == 2


async def test_a_server_that_accepts_and_never_answers_holds_a_call_for_timeout_s_not_attempts_times_it(
    waits: list[float],
) -> None:
    async with serving(*[Step("hang")] * 4, timeout_s=1.0, max_attempts=4) as (_, llm):
        began = time.monotonic()
        with pytest.raises(LLMTimeout) as info:
            await llm.chat(USER)
        elapsed = time.monotonic() - began
    assert elapsed < 1.8, elapsed  # all attempts share the call's 1 s (it was 4 x the read timeout)
    assert "did not answer in time" in one_line(info.value)


async def test_read_timeout_then_success(waits: list[float]) -> None:
    async with FaultServer(Step("hang")) as server, LLMClient(server.url, model="m", timeout_s=3.0) as llm:
        # a short per-call deadline makes the hung attempt time out fast; the next call succeeds
        with call_deadline(0.5), pytest.raises(LLMTimeout):
            await llm.chat(USER)
        assert (await llm.chat(USER)).text == "fine"
    assert len(server.seen) == 2


async def test_stall_mid_stream_is_detected_within_the_idle_bound() -> None:
    async with serving(Step("stall_stream", chunks=3), timeout_s=30, stream_idle_s=0.4) as (_, llm):
        began, seen = time.monotonic(), []
        with pytest.raises(LLMTimeout) as info:
            async with aclosing(llm.stream_chat(USER)) as chunks:
                async for chunk in chunks:
                    seen.append(chunk)
        elapsed = time.monotonic() - began
    assert elapsed < 3, elapsed
    assert "stopped sending mid-stream: nothing for 0.4s (ASSAY_STREAM_IDLE_S)" in one_line(info.value)
    assert seen, "the chunks before the stall were delivered"


async def test_a_stream_that_never_starts_is_bounded_by_the_call_time() -> None:
    async with serving(Step("hang"), timeout_s=0.6, stream_idle_s=10, max_attempts=1) as (_, llm):
        began = time.monotonic()
        with pytest.raises(LLMTimeout):
            async with aclosing(llm.stream_chat(USER)) as chunks:
                async for _ in chunks:
                    pass
        assert time.monotonic() - began < 2


async def test_a_healthy_stream_is_not_cut_by_the_idle_bound() -> None:
    async with serving(Step(), stream_idle_s=0.5) as (_, llm), aclosing(llm.stream_chat(USER)) as chunks:
        text = "".join([c.delta async for c in chunks])
    assert text == "fine"


async def test_truncated_body_is_retried_then_succeeds(waits: list[float]) -> None:
    async with FaultServer(Step("truncated")) as server, LLMClient(server.url, model="m") as llm:
        assert (await llm.chat(USER)).text == "fine"
    assert len(server.seen) == 2 and len(waits) == 1


async def test_dropped_connection_is_retried_then_succeeds(waits: list[float]) -> None:
    async with FaultServer(Step("close")) as server, LLMClient(server.url, model="m") as llm:
        assert (await llm.chat(USER)).text == "fine"
    assert len(server.seen) == 2


async def test_malformed_json_is_one_clear_error_without_retry(waits: list[float]) -> None:
    async with FaultServer(Step("malformed")) as server, LLMClient(server.url, model="m") as llm:
        with pytest.raises(MalformedResponse) as info:
            await llm.chat(USER)
    assert "not OpenAI-compatible: invalid JSON" in one_line(info.value) and waits == []


async def test_empty_choices_is_one_clear_error(waits: list[float]) -> None:
    async with FaultServer(Step("empty_choices")) as server, LLMClient(server.url, model="m") as llm:
        with pytest.raises(MalformedResponse) as info:
            await llm.chat(USER)
    assert "no choices" in one_line(info.value) and waits == []


async def test_logprobs_missing_when_asked_is_a_completion_without_logprobs() -> None:
    async with FaultServer(Step("no_logprobs")) as server, LLMClient(server.url, model="m") as llm:
        done = await llm.chat(USER, logprobs=True, top_logprobs=2)
    assert done.text == "fine" and done.choices[0].logprobs is None  # the signal is unmeasured, not invented


async def test_call_deadline_caps_every_call_and_nests() -> None:
    assert deadline_left() is None
    with call_deadline(5.0), call_deadline(60.0):
        left = deadline_left()
        assert left is not None and 4.0 < left <= 5.0
    async with FaultServer(Step("hang")) as server, LLMClient(server.url, model="m", timeout_s=60) as llm:
        began = time.monotonic()
        with call_deadline(0.3), pytest.raises(LLMTimeout):
            await llm.chat(USER)
        assert time.monotonic() - began < 1.5
        with call_deadline(0.0), pytest.raises(LLMTimeout, match="time budget is spent"):
            await llm.chat(USER)
    assert len(server.seen) == 1  # a spent budget sends nothing
