"""Async client for any OpenAI-compatible server (vLLM first).  API CONTRACT STUB: being implemented.

Signatures below are the contract other modules code against; do not change them without telling everyone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from assay.llm.types import Completion, Message, PromptScore, StreamChunk, Usage

MessageLike = Message | dict[str, str]


class LLMClient:
    """One client shared by all runs: bounded pool, concurrency limit, retries, usage accounting.

    ``base_urls`` are replicas of the same model, used round robin. ``transport`` lets tests plug in
    ``httpx.MockTransport`` (see ``assay.testing.FakeLLM``).
    """

    def __init__(
        self,
        base_urls: str | Sequence[str],
        *,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        max_concurrency: int = 64,
        max_attempts: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        raise NotImplementedError

    async def chat(
        self,
        messages: Sequence[MessageLike],
        *,
        n: int = 1,
        temperature: float = 0.0,
        top_p: float | None = None,
        max_tokens: int = 256,
        seed: int | None = None,
        stop: Sequence[str] | None = None,
        logprobs: bool = False,
        top_logprobs: int = 0,
        response_format: dict[str, Any] | None = None,
        structured_outputs: dict[str, Any] | None = None,
        model: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Completion:
        """POST /v1/chat/completions. ``structured_outputs`` is vLLM's extra field: {"choice"|"regex"|"json"|"grammar": ...}."""
        raise NotImplementedError

    async def complete(self, prompt: str, **kwargs: Any) -> Completion:
        """POST /v1/completions; same keyword arguments as ``chat``."""
        raise NotImplementedError

    async def score(self, text: str, *, top_logprobs: int = 0, model: str | None = None) -> PromptScore:
        """Logprobs of ``text`` itself (completions with echo=True, max_tokens=0, logprobs)."""
        raise NotImplementedError

    def stream_chat(self, messages: Sequence[MessageLike], **kwargs: Any) -> AsyncIterator[StreamChunk]:
        """Streamed chat (SSE) with ``stream_options.include_usage``; the last chunk carries usage."""
        raise NotImplementedError

    async def classify(self, texts: Sequence[str], *, model: str | None = None) -> list[float]:
        """POST /classify on a pooling server started with the yes/no judge overrides; returns P(yes) each."""
        raise NotImplementedError

    async def embed(self, texts: Sequence[str], *, model: str | None = None) -> list[list[float]]:
        """POST /v1/embeddings."""
        raise NotImplementedError

    async def models(self) -> list[str]:
        raise NotImplementedError

    async def health(self) -> bool:
        raise NotImplementedError

    @property
    def usage(self) -> Usage:
        """Totals over the client's lifetime."""
        raise NotImplementedError

    @contextmanager
    def track(self) -> Iterator[Usage]:
        """Per-run accounting: calls made inside the ``with`` block (same asyncio context) add to the yielded Usage."""
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
