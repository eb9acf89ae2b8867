"""Retries, typed errors, replicas and the concurrency limit of LLMClient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from assay.errors import LLMError, LLMHTTPError, LLMTimeout, MalformedResponse, ServerUnavailable, UnknownModel
from assay.llm import _retry
from assay.llm.client import LLMClient
from assay.testing import FakeLLM

USER = [{"role": "user", "content": "hello there"}]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps are recorded instead of slept."""
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)
    return slept


async def test_503_then_success(waits: list[float]) -> None:
    fake = FakeLLM(default="fine").fail(503, times=2)
    async with fake.client() as llm:
        out = await llm.chat(USER)
        assert llm.usage.calls == 1
    assert out.text == "fine"
    assert fake.calls["/v1/chat/completions"] == 3
    assert len(waits) == 2 and 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 1.5  # exponential + jitter


async def test_429_retry_after_is_honoured_and_capped(waits: list[float]) -> None:
    fake = FakeLLM(default="fine").fail(429, retry_after=2.5).fail(503, retry_after=999)
    async with fake.client() as llm:
        assert (await llm.chat(USER)).text == "fine"
    assert waits == [2.5, _retry.RETRY_AFTER_CAP_S]


async def test_retry_after_really_waits() -> None:
    fake = FakeLLM(default="fine").fail(429, retry_after=0.15)
    loop = asyncio.get_running_loop()
    async with fake.client() as llm:
        start = loop.time()
        await llm.chat(USER)
        assert loop.time() - start >= 0.14


async def test_400_is_not_retried(waits: list[float]) -> None:
    fake = FakeLLM().fail(400, message="max_tokens must be at least 1\nsecond line")
    async with fake.client() as llm:
        with pytest.raises(LLMHTTPError) as info:
            await llm.chat(USER, max_tokens=0)
    assert info.value.status_code == 400
    assert "max_tokens must be at least 1" in str(info.value) and "\n" not in str(info.value)
    assert fake.calls["/v1/chat/completions"] == 1 and waits == []


async def test_attempts_are_bounded_then_typed_error(waits: list[float]) -> None:
    fake = FakeLLM().fail(500, times=10)
    async with fake.client(max_attempts=3) as llm:
        with pytest.raises(LLMHTTPError) as info:
            await llm.chat(USER)
    assert info.value.status_code == 500 and "HTTP 500" in str(info.value)
    assert fake.calls["/v1/chat/completions"] == 3 and len(waits) == 2


async def test_connection_refused_is_server_unavailable_with_hint(waits: list[float]) -> None:
    fake = FakeLLM().disconnect(times=10)
    async with fake.client(max_attempts=2) as llm:
        with pytest.raises(ServerUnavailable) as info:
            await llm.chat(USER)
    message = str(info.value)
    assert "http://127.0.0.1:9" in message and "`assay up`" in message and "ASSAY_BASE_URL" in message
    assert fake.calls["/v1/chat/completions"] == 2


async def test_real_refused_port_is_server_unavailable(waits: list[float]) -> None:
    async with LLMClient("http://127.0.0.1:9/v1", model="m", max_attempts=2, connect_timeout_s=1) as llm:
        with pytest.raises(ServerUnavailable, match="assay up"):
            await llm.models()
    assert len(waits) == 1


async def test_stall_past_timeout_is_llm_timeout() -> None:
    fake = FakeLLM().stall(5.0)
    async with fake.client(timeout_s=0.05, max_attempts=1) as llm:
        with pytest.raises(LLMTimeout, match="did not answer in time"):
            await llm.chat(USER)


async def test_stall_within_timeout_answers() -> None:
    fake = FakeLLM(default="late").stall(0.01)
    async with fake.client(timeout_s=1.0) as llm:
        assert (await llm.chat(USER)).text == "late"


async def test_malformed_json_is_not_retried(waits: list[float]) -> None:
    fake = FakeLLM().malformed()
    async with fake.client() as llm:
        with pytest.raises(MalformedResponse, match="not OpenAI-compatible"):
            await llm.chat(USER)
    assert fake.calls["/v1/chat/completions"] == 1


async def test_wrong_shape_json_is_malformed() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"choices": [{"oops": 1}]}))
    async with LLMClient("http://127.0.0.1:9", model="m", transport=transport) as llm:
        with pytest.raises(MalformedResponse, match="unexpected shape"):
            await llm.chat(USER)
        with pytest.raises(MalformedResponse):
            await llm.score("a b c")


async def test_unknown_model_names_the_model(waits: list[float]) -> None:
    fake = FakeLLM(models=["smollm2"])
    async with fake.client(model="nope") as llm:
        with pytest.raises(UnknownModel, match="'nope'") as info:
            await llm.chat(USER)
    assert info.value.status_code == 404 and waits == []


async def test_unscripted_prompt_without_default_fails_fast(waits: list[float]) -> None:
    fake = FakeLLM(default=None)
    async with fake.client() as llm:
        with pytest.raises(LLMHTTPError, match="no scripted reply for: 'hello there'"):
            await llm.chat(USER)
    assert waits == []


async def test_round_robin_across_replicas() -> None:
    fake = FakeLLM()
    async with fake.client(base_urls=["http://127.0.0.1:9/v1", "http://127.0.0.2:9"]) as llm:
        for _ in range(4):
            await llm.chat(USER)
    hosts = [httpx.URL(r.url).host for r in fake.requests]
    assert hosts == ["127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.2"]


async def test_failover_to_next_replica_without_backoff(waits: list[float]) -> None:
    fake = FakeLLM(default="from b").disconnect()
    async with fake.client(base_urls="http://127.0.0.1:9,http://127.0.0.2:9") as llm:
        out = await llm.chat(USER)
    assert out.text == "from b"
    assert [httpx.URL(r.url).host for r in fake.requests] == ["127.0.0.1", "127.0.0.2"]
    assert waits == []


async def test_concurrency_limit_bounds_in_flight() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"object": "list", "data": [{"id": "m"}]})

    async with LLMClient(
        "http://127.0.0.1:9", model="m", max_concurrency=3, transport=httpx.MockTransport(handler)
    ) as llm:
        results = await asyncio.gather(*(llm.models() for _ in range(20)))
    assert results == [["m"]] * 20
    assert peak == 3


async def test_stream_retries_before_first_byte(waits: list[float]) -> None:
    fake = FakeLLM().on(texts="a b").fail(503)
    async with fake.client() as llm:
        chunks = [c.delta async for c in llm.stream_chat(USER)]
    assert "".join(chunks) == "a b" and len(waits) == 1


async def test_stream_error_status_is_typed(waits: list[float]) -> None:
    fake = FakeLLM().fail(400, message="bad stream")
    async with fake.client() as llm:
        with pytest.raises(LLMHTTPError, match="bad stream"):
            [c async for c in llm.stream_chat(USER)]


async def test_stream_error_body_cut_off_is_typed_and_retried(waits: list[float]) -> None:
    class CutOff(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"error": '
            raise httpx.ReadError("connection reset")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, stream=CutOff())

    async with LLMClient("http://127.0.0.1:9", model="m", transport=httpx.MockTransport(handler)) as llm:
        with pytest.raises(ServerUnavailable, match="dropped the connection: connection reset"):
            [c async for c in llm.stream_chat(USER)]
    assert len(waits) == llm.max_attempts - 1


async def test_dropped_connection_is_retried(waits: list[float]) -> None:
    attempts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={"data": [{"id": "m"}]})

    async with LLMClient("http://127.0.0.1:9", model="m", transport=httpx.MockTransport(handler)) as llm:
        assert await llm.models() == ["m"]
    assert attempts == 2 and len(waits) == 1


@pytest.mark.parametrize(
    ("sse", "error", "match"),
    [
        (b'data: {"error": {"message": "engine died"}}\n\n', LLMError, "failed mid-stream"),
        (b"data: [1, 2]\n\n", MalformedResponse, "not OpenAI-compatible"),
        (b"data: {nope\n\n", MalformedResponse, "not OpenAI-compatible"),
    ],
)
async def test_stream_failures_after_first_byte_are_typed(sse: bytes, error: type[Exception], match: str) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=sse))
    async with LLMClient("http://127.0.0.1:9", model="m", transport=transport) as llm:
        with pytest.raises(error, match=match):
            [c async for c in llm.stream_chat(USER)]
        assert llm.usage.calls == 1
