"""Running a job for one HTTP request: streamed as SSE, or awaited whole; either way cancelled if the client leaves.

Streaming sends, in order: the role chunk; while the graph runs, every generating stage's tokens (sample 0 of
each agent call: solver, reviewer, refiner, ...) live as ``delta.reasoning_content`` (the field vLLM's reasoning
models use), with node starts and route decisions as SSE comments; then the selected candidate's reply as
``delta.content``, a finish chunk carrying the ``assay`` run record, the usage chunk when
``stream_options.include_usage`` is set, and ``[DONE]``. The reply comes last because a graph that samples k
answers, votes or refines only knows which tokens were the answer once it has chosen. A one-pass graph whose reply
is its one solver sample (``single``) streams that sample's tokens as ``content`` directly, as vLLM would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from assay.errors import AssayError
from assay.serve.engine import Engine, Job
from assay.serve.errors import APIError, from_assay
from assay.serve.responses import DONE, Chunks, comment, event, reply_text, run_record
from assay.state import RunState

log = logging.getLogger("assay.serve")


def _render(ev: dict[str, Any], chunks: Chunks, progress: bool, reply: list[str] | None) -> Iterator[str]:
    """One run event as SSE. With ``reply`` (a graph whose solver sample is the reply) the solver's tokens are
    ``content`` and are collected in ``reply``; every other stage's tokens are ``reasoning_content``."""
    kind = ev.get("type")
    if kind == "token":
        if ev.get("index") == 0 and ev.get("delta"):
            if reply is not None and ev.get("node") == "solver":
                reply.append(ev["delta"])
                yield chunks.delta({"content": ev["delta"]})
            else:
                yield chunks.delta({"reasoning_content": ev["delta"]})
    elif not progress:
        return
    elif kind == "node":
        yield comment("node", ev)
    elif kind == "update":
        update = ev.get("update")
        routes = update.get("routes") if isinstance(update, dict) else None
        for route in routes or []:
            yield comment("route", {k: route.get(k) for k in ("source", "target", "round", "reason")})


async def _stop(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait for it, even from inside a cancelled scope (a client that disconnected)."""
    if task.done():
        return
    task.cancel()
    with anyio.CancelScope(shield=True), suppress(asyncio.CancelledError, Exception):
        await task


def failure(exc: BaseException) -> APIError:
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, AssayError):
        return from_assay(exc)
    log.error("run failed", exc_info=exc)
    return APIError(500, f"the run failed: {type(exc).__name__}: {exc}", "server_error")


async def sse(engine: Engine, job: Job, include_usage: bool) -> AsyncIterator[str]:
    chunks = Chunks(job.model, job.thread_id)
    reply: list[str] | None = [] if job.direct else None
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    run = engine.spawn(engine.execute(job, queue.put_nowait))
    run.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        yield chunks.delta({"role": "assistant", "content": ""})
        if job.request.assay.progress:
            yield comment("run", {"graph": job.graph, "thread_id": job.thread_id})
        while (ev := await queue.get()) is not None:
            for piece in _render(ev, chunks, job.request.assay.progress, reply):
                yield piece
        state: RunState = run.result()
    except Exception as exc:  # after the headers: the error travels as an event, as OpenAI's does
        yield event(failure(exc).body())
        yield DONE
        return
    finally:
        await _stop(run)
    text = reply_text(state)
    streamed = "".join(reply or [])
    if not streamed or not text.startswith(streamed):  # a reply streamed live is not sent again
        yield chunks.delta({"content": text})
    elif len(text) > len(streamed):
        yield chunks.delta({"content": text[len(streamed) :]})
    yield chunks.delta({}, "stop", assay=run_record(state, job.graph, job.thread_id))
    if include_usage:
        yield chunks.usage(state.usage)
    yield DONE


class RunStream(StreamingResponse):
    """An SSE response that closes its generator (and so cancels its run) however the response ends."""

    def __init__(self, stream: AsyncIterator[str]) -> None:
        super().__init__(stream, media_type="text/event-stream", headers={"cache-control": "no-cache"})
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def complete(engine: Engine, jobs: list[Job], request: Request) -> list[RunState]:
    """Run the jobs concurrently; if the client disconnects first, cancel them all."""
    runs = [engine.spawn(engine.execute(job)) for job in jobs]
    together: asyncio.Future[list[RunState]] = asyncio.gather(*runs)
    watch: asyncio.Future[Any] = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait([together, watch], return_when=asyncio.FIRST_COMPLETED)
        if not together.done():
            raise APIError(499, "the client disconnected", code="client_closed_request")
        return together.result()
    finally:
        watch.cancel()
        for run in runs:
            await _stop(run)
        with suppress(BaseException):
            await together
