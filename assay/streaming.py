"""Live token events for terminal views: agents stream their samples while someone listens.

A run that wants tokens installs a sink with ``streaming_tokens(sink)``; agents call ``chat(...)`` here instead
of ``LLMClient.chat``. With no sink it is the plain (cheaper) request; with one it streams the same request
over SSE, hands every delta to the sink as ``{"type": "token", "node", "index", "delta"}`` and assembles the
same ``Completion`` (texts, per-token logprobs, usage), so the graph cannot tell the difference. The sink lives
in a context variable: concurrent runs sharing one client each see only their own tokens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from contextvars import ContextVar
from typing import Any

from assay.llm.client import LLMClient, MessageLike
from assay.llm.types import Choice, Completion, StreamChunk, TokenLogprob, Usage

EventSink = Callable[[dict[str, Any]], None]

_sink: ContextVar[EventSink | None] = ContextVar("assay_token_sink", default=None)


@contextmanager
def streaming_tokens(sink: EventSink | None) -> Iterator[None]:
    """Send the token deltas of every agent call made inside the block (same asyncio context) to ``sink``."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


async def chat(llm: LLMClient, messages: Sequence[MessageLike], *, agent: str, **kwargs: Any) -> Completion:
    """``llm.chat(messages, **kwargs)``, streamed to the current token sink when there is one."""
    sink = _sink.get()
    if sink is None:
        return await llm.chat(messages, **kwargs)
    return await _streamed(llm, messages, agent, sink, kwargs)


class _Assembly:
    """Collects streamed chunks per choice index back into a ``Completion``."""

    def __init__(self) -> None:
        self.texts: defaultdict[int, list[str]] = defaultdict(list)
        self.logprobs: defaultdict[int, list[TokenLogprob]] = defaultdict(list)
        self.finish: dict[int, str | None] = {}
        self.usage = Usage(calls=1)

    def add(self, chunk: StreamChunk) -> None:
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.delta:
            self.texts[chunk.index].append(chunk.delta)
        if chunk.logprobs:
            self.logprobs[chunk.index].extend(chunk.logprobs)
        if chunk.finish_reason is not None:
            self.finish[chunk.index] = chunk.finish_reason

    def completion(self, model: str, n: int, with_logprobs: bool) -> Completion:
        choices = [
            Choice(
                index=i,
                text="".join(self.texts[i]),
                finish_reason=self.finish.get(i),
                logprobs=self.logprobs[i] if with_logprobs else None,
            )
            for i in range(n)
        ]
        return Completion(model=model, choices=choices, usage=self.usage)


def _continued(messages: Sequence[MessageLike], kwargs: dict[str, Any]) -> str:
    """The start of the reply that the server continues (``continue_final_message``), else ""."""
    if not (kwargs.get("extra") or {}).get("continue_final_message") or not messages:
        return ""
    last = messages[-1]
    role, content = (last.role, last.content) if not isinstance(last, dict) else (last["role"], last["content"])
    return content if role == "assistant" else ""


async def _streamed(
    llm: LLMClient, messages: Sequence[MessageLike], agent: str, sink: EventSink, kwargs: dict[str, Any]
) -> Completion:
    parts = _Assembly()
    start = _continued(messages, kwargs)  # shown first, so a view shows the whole reply (e.g. a code stub)
    for index in range(int(kwargs.get("n", 1)) if start else 0):
        sink({"type": "token", "node": agent, "index": index, "delta": start})
    async with aclosing(llm.stream_chat(messages, **kwargs)) as chunks:
        async for chunk in chunks:
            parts.add(chunk)
            if chunk.delta:
                sink({"type": "token", "node": agent, "index": chunk.index, "delta": chunk.delta})
    return parts.completion(kwargs.get("model") or llm.model, int(kwargs.get("n", 1)), bool(kwargs.get("logprobs")))
