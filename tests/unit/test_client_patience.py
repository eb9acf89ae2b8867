"""A call past ``timeout_s`` waits on while the server's /metrics shows progress (``assay.llm._patience``)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from assay import _fake_replies as replies
from assay.errors import LLMTimeout
from assay.llm._patience import Patience, outlast
from assay.llm.client import LLMClient
from assay.llm.deadline import call_deadline

USER = [{"role": "user", "content": "hello there"}]
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def server(answer_after_s: float, *, counting: bool, metrics: bool = True) -> tuple[Handler, list[str]]:
    """A chat server that answers after ``answer_after_s`` (honouring the request's read timeout, as a real
    socket would) and a /metrics whose token counter moves on every read when ``counting``."""
    seen: list[str] = []
    reads = [0]

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/metrics":
            if not metrics:
                return httpx.Response(404)
            reads[0] += 1 if counting else 0
            return httpx.Response(200, text=f'vllm:generation_tokens_total{{model_name="m"}} {100 + reads[0]}.0\n')
        read = (request.extensions.get("timeout") or {}).get("read")
        if read is not None and answer_after_s > read:
            await asyncio.sleep(read)
            raise httpx.ReadTimeout("timed out", request=request)
        await asyncio.sleep(answer_after_s)
        sample = replies.Sample("late but right", -0.05, None, "stop")
        return httpx.Response(200, json=replies.chat_reply("m", "hello there", [sample], {}))

    return handle, seen


def client(handler: Handler, *, max_wait_s: float = 5.0, timeout_s: float = 0.2) -> LLMClient:
    llm = LLMClient("http://127.0.0.1:9", model="m", transport=httpx.MockTransport(handler), timeout_s=timeout_s,
                    max_attempts=1, max_wait_s=max_wait_s)  # fmt: skip
    llm.patience = Patience(max_wait_s, window_s=0.1)
    return llm


async def test_a_busy_server_that_keeps_counting_tokens_gets_its_answer_waited_for() -> None:
    handler, seen = server(0.7, counting=True)
    async with client(handler) as llm:
        out = await llm.chat(USER)
    assert out.text == "late but right" and llm.waited_past_timeout == 1
    assert seen.count("/v1/chat/completions") == 1  # waited on, never re-sent to the back of the queue
    assert seen.count("/metrics") >= 3


async def test_a_server_that_counts_nothing_for_a_window_times_out() -> None:
    handler, seen = server(30.0, counting=False)
    began = time.monotonic()
    async with client(handler) as llm:
        with pytest.raises(LLMTimeout, match=r"counted no token for 0\.1s"):
            await llm.chat(USER)
    assert time.monotonic() - began < 2.0
    assert seen.count("/v1/chat/completions") == 1


async def test_without_metrics_a_call_ends_at_timeout_s_as_before() -> None:
    handler, _ = server(30.0, counting=True, metrics=False)
    began = time.monotonic()
    async with client(handler) as llm:
        with pytest.raises(LLMTimeout, match="has no /metrics"):
            await llm.chat(USER)
    assert time.monotonic() - began < 1.5


async def test_max_wait_bounds_a_call_even_while_the_server_progresses() -> None:
    handler, _ = server(30.0, counting=True)
    began = time.monotonic()
    async with client(handler, max_wait_s=0.8) as llm:
        with pytest.raises(LLMTimeout):
            await llm.chat(USER)
    assert 0.7 < time.monotonic() - began < 2.5


async def test_a_call_deadline_caps_the_wait() -> None:
    handler, _ = server(30.0, counting=True)
    began = time.monotonic()
    async with client(handler) as llm:
        with call_deadline(0.5), pytest.raises(LLMTimeout):
            await llm.chat(USER)
    assert time.monotonic() - began < 1.5


async def test_a_cancelled_call_cancels_its_request() -> None:
    handler, _ = server(30.0, counting=True)
    async with client(handler) as llm:
        task = asyncio.create_task(llm.chat(USER))
        await asyncio.sleep(0.4)  # past timeout_s: waiting patiently
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(asyncio.all_tasks()) == 1  # the request's own task is gone too


def test_patience_is_off_when_max_wait_is_not_above_timeout() -> None:
    assert LLMClient("http://127.0.0.1:9", model="m", timeout_s=300, max_wait_s=300).patience is None
    assert LLMClient("http://127.0.0.1:9", model="m", max_wait_s=None).patience is None
    assert LLMClient("http://127.0.0.1:9", model="m").patience == Patience(1800.0)


def streaming_server(first_after_s: float, *, counting: bool) -> Handler:
    """A streaming chat server whose first SSE line comes after ``first_after_s``."""
    reads = [0]

    async def body() -> AsyncIterator[bytes]:
        await asyncio.sleep(first_after_s)
        sample = replies.Sample("streamed late", -0.05, None, "stop")
        yield replies.chat_sse("m", "hello there", [sample], {"stream_options": {"include_usage": True}})

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metrics":
            reads[0] += 1 if counting else 0
            return httpx.Response(200, text=f"vllm:prompt_tokens_total {reads[0]}.0\n")
        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    return handle


async def test_a_stream_whose_first_token_is_late_on_a_counting_server_is_waited_for() -> None:
    async with client(streaming_server(0.7, counting=True)) as llm:
        chunks = [c async for c in llm.stream_chat(USER)]
    assert "".join(c.delta for c in chunks) == "streamed late"


async def test_a_stream_whose_server_counts_nothing_times_out_before_its_first_token() -> None:
    began = time.monotonic()
    async with client(streaming_server(30.0, counting=False)) as llm:
        with pytest.raises(LLMTimeout, match="sent no token"):
            _ = [c async for c in llm.stream_chat(USER)]
    assert time.monotonic() - began < 2.0


async def test_a_call_that_fails_while_the_wait_is_given_up_leaves_no_unretrieved_exception() -> None:
    """The wait ends (no more progress) just as the call itself fails: its exception is retrieved, so asyncio
    never logs "Task exception was never retrieved" (seen on stderr in the 32-run soak)."""

    async def work() -> str:
        await asyncio.sleep(0.05)
        raise httpx.ReadTimeout("timed out")

    async def give_up() -> float | None:
        await asyncio.sleep(0.1)  # reading /metrics: the call fails meanwhile
        return None

    logged: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: logged.append(context))
    try:
        with pytest.raises(TimeoutError):
            await outlast(work(), time.monotonic() + 0.01, give_up)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert not [c for c in logged if "never retrieved" in str(c.get("message"))]
