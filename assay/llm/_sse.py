"""Server-sent events as OpenAI-compatible servers send them: ``data: {json}`` lines, ending with ``[DONE]``.

A stream is watched for stalls: the first line may take up to the call's deadline (a busy server queues the
request before its first token; ``extend`` may grant more while the server counts tokens), each later line
must follow the previous one within ``idle_s``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from assay.errors import LLMError, LLMTimeout
from assay.llm._failures import malformed, transport_failure
from assay.llm._patience import outlast

Extend = Callable[[], Awaitable[float | None]]  # a later deadline for the first line, or None: give up


async def _lines(
    response: httpx.Response, first_by: float | None, idle_s: float | None, until: float | None,
    extend: Extend | None = None,
) -> AsyncIterator[str]:  # fmt: skip
    """The response's lines; ``LLMTimeout`` when the first line has not come by ``first_by`` (nor by a time
    ``extend`` grants), a later one not within ``idle_s`` of the previous, or ``until`` passes (``loop.time()``
    clock = ``time.monotonic``)."""
    lines = response.aiter_lines()
    loop = asyncio.get_running_loop()
    first = True
    while True:
        limit = first_by if first else (None if idle_s is None else loop.time() + idle_s)
        if until is not None:
            limit = until if limit is None else min(limit, until)
        try:
            if first:
                # the first line may wait on while ``extend`` grants time (the server is still counting tokens)
                line = await outlast(anext(lines), limit, extend if limit != until else None)
            else:
                async with asyncio.timeout_at(limit):
                    line = await anext(lines)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise _stalled(response, idle_s, first, until is not None and limit == until) from None
        first = False
        yield line


def _stalled(response: httpx.Response, idle_s: float | None, first: bool, budget: bool) -> LLMTimeout:
    url = f"{response.url.scheme}://{response.url.netloc.decode()}"
    if budget:
        return LLMTimeout(f"the run's time budget ran out while {url} was still streaming")
    if first or idle_s is None:
        return LLMTimeout(f"the model server at {url} sent no token before the call's deadline (ASSAY_TIMEOUT_S)")
    return LLMTimeout(
        f"the model server at {url} stopped sending mid-stream: nothing for {idle_s:g}s (ASSAY_STREAM_IDLE_S)"
    )


async def sse_objects(
    response: httpx.Response,
    *,
    first_by: float | None = None,
    idle_s: float | None = None,
    until: float | None = None,
    extend: Extend | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The JSON object of each ``data:`` line; comments, ``event:``/``id:`` lines and blank lines are skipped.

    Raises ``ValueError`` for a data line that is not a JSON object (the caller reports a malformed answer).
    """
    async for line in _lines(response, first_by, idle_s, until, extend):
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        if not payload:
            continue
        data = json.loads(payload)
        if not isinstance(data, dict):
            raise ValueError(f"SSE data is {type(data).__name__}, not an object")
        yield data


async def stream_events(
    response: httpx.Response,
    url: str,
    path: str,
    *,
    first_by: float | None = None,
    idle_s: float | None = None,
    until: float | None = None,
    extend: Extend | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """SSE objects with transport and JSON failures turned into typed errors (no retry mid-stream)."""
    try:
        async for event in sse_objects(response, first_by=first_by, idle_s=idle_s, until=until, extend=extend):
            if "error" in event and not event.get("choices"):
                raise LLMError(f"the model server at {url} failed mid-stream: {event['error']}".splitlines()[0])
            yield event
    except httpx.TransportError as exc:
        raise transport_failure(url, exc).error from None
    except ValueError as exc:
        raise malformed(url, path, exc) from None
