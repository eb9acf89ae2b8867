"""Async client for any OpenAI-compatible server (vLLM first).

One client is shared by all runs of a process: one bounded connection pool, one concurrency limit, retries
for transient failures only, and usage accounting both for the client's lifetime and per run (``track``).
The hot path stays thin (the first attempt bypasses tenacity; each reply is validated once, in pydantic-core)
because a graph makes many small calls and vLLM is only fast when many of them are in flight. Use one client per
event loop (its pool and semaphore belong to the loop that first uses them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import httpx

from assay.errors import LLMError
from assay.llm import _parse
from assay.llm._failures import decode_json
from assay.llm._meter import UsageMeter
from assay.llm._metrics import tokens_counted
from assay.llm._patience import Patience
from assay.llm._replicas import Replicas
from assay.llm._request import MessageLike, message_dicts, normalise_base_urls, sampling_body
from assay.llm._retry import Policy, Retryable, Supervisor, run_attempts
from assay.llm._sse import stream_events
from assay.llm.deadline import current_cap
from assay.llm.types import Completion, PromptScore, StreamChunk, Usage

__all__ = ["LLMClient", "MessageLike"]

T = TypeVar("T")


class LLMClient:
    """One client shared by all runs: bounded pool, concurrency limit, retries, usage accounting.

    ``base_urls`` are replicas of the same model, used round robin (a replica that refuses the connection is
    skipped at once). They may end in ``/v1`` or not. ``transport`` lets tests plug in ``httpx.MockTransport``
    (see ``assay.testing.FakeLLM``). ``timeout_s`` bounds one call, attempts together (capped by ``call_deadline``);
    a stream silent for ``stream_idle_s`` after its first line has stalled; ``supervisor``: ``llm/supervise.py``.
    A call past ``timeout_s`` waits on, up to ``max_wait_s``, while the server's ``/metrics`` shows it counting
    tokens (``llm/_patience.py``); ``max_wait_s=None`` turns that off.
    """

    def __init__(
        self,
        base_urls: str | Sequence[str],
        *,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        connect_timeout_s: float = 5.0,
        max_concurrency: int = 64,
        max_attempts: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        stream_idle_s: float | None = 30.0,
        supervisor: Supervisor | None = None,
        max_wait_s: float | None = 1800.0,
    ) -> None:
        self.base_urls = normalise_base_urls(base_urls)
        self.model = model
        self.max_attempts = max(1, max_attempts)
        self.stream_idle_s = stream_idle_s
        self.policy = Policy(self.max_attempts, timeout_s, connect_timeout_s, supervisor)
        # Bodies are encoded once with pydantic-core (several times faster than json.dumps), so the JSON
        # content type is a client default rather than per-request header merging.
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency),
        )
        self._slots = asyncio.Semaphore(max_concurrency)
        self._replicas = Replicas(self._http, self.base_urls)
        self._meter = UsageMeter(f"assay_llm_tracks_{id(self)}")
        self.patience = Patience(max_wait_s) if max_wait_s and max_wait_s > timeout_s else None
        self.waited_past_timeout = 0  # calls answered after timeout_s because the server kept counting tokens
        # Progress probes get a pool of their own: the main one can be full of the very calls they watch.
        self._probe_http = httpx.AsyncClient(transport=transport, limits=httpx.Limits(max_connections=2))

    # -- generation -------------------------------------------------------------------------------------------

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
        """POST /v1/chat/completions.

        ``structured_outputs`` is vLLM's extra body field: {"choice"|"regex"|"json"|"grammar": ...}.
        """
        body = sampling_body(
            chat=True, model=model or self.model, n=n, temperature=temperature, top_p=top_p,
            max_tokens=max_tokens, seed=seed, stop=stop, logprobs=logprobs, top_logprobs=top_logprobs,
            response_format=response_format, structured_outputs=structured_outputs, extra=extra,
        )  # fmt: skip
        body["messages"] = message_dicts(messages)
        return await self._generate("/v1/chat/completions", body, chat=True)

    async def complete(self, prompt: str, **kwargs: Any) -> Completion:
        """POST /v1/completions; same keyword arguments as ``chat``."""
        body = sampling_body(chat=False, **{**kwargs, "model": kwargs.get("model") or self.model})
        body["prompt"] = prompt
        return await self._generate("/v1/completions", body, chat=False)

    async def _generate(self, path: str, body: dict[str, Any], *, chat: bool) -> Completion:
        start = time.perf_counter()
        data, url = await self._call("POST", path, body)
        try:  # inline rather than ``_parse.checked``: the hottest path in the package, a closure costs 1 µs
            result = _parse.parse_completion(data, chat=chat, latency_s=time.perf_counter() - start)
        except _parse.SHAPE_ERRORS as exc:
            raise _parse.shape_error(url, path, exc) from None
        self._account(result.usage, body.get("n"))
        return result

    async def score(self, text: str, *, top_logprobs: int = 0, model: str | None = None) -> PromptScore:
        """Logprobs of ``text`` itself (completions with echo=True, max_tokens=0, logprobs).

        The first token has no logprob (nothing precedes it) and is left out.
        """
        body = {
            "model": model or self.model,
            "prompt": text,
            "max_tokens": 0,
            "echo": True,
            "logprobs": max(top_logprobs, 1),
        }
        data, url = await self._call("POST", "/v1/completions", body)
        result = _parse.checked(
            url, "/v1/completions", lambda d: _parse.parse_score(d, keep_top=top_logprobs > 0), data
        )
        self._account(result.usage)
        return result

    async def stream_chat(self, messages: Sequence[MessageLike], **kwargs: Any) -> AsyncGenerator[StreamChunk, None]:
        """Streamed chat (SSE) with ``stream_options.include_usage``; the last chunk carries usage.

        Failures before the first byte are retried like any call; once tokens flow, an error (or a stall:
        ``stream_idle_s``) ends the stream. The stream holds a concurrency slot until it ends: consume it fully
        or close it (``async with contextlib.aclosing(client.stream_chat(...)) as chunks``).
        """
        body = sampling_body(chat=True, **{**kwargs, "model": kwargs.get("model") or self.model})
        body.update(messages=message_dicts(messages), stream=True, stream_options={"include_usage": True})
        path = "/v1/chat/completions"
        async with self._slots:
            start = time.monotonic()
            response, url = await self._open_stream(path, body, start)
            accounted = False
            try:
                events = stream_events(response, url, path, idle_s=self.stream_idle_s,
                                       first_by=self.policy.deadline(start), until=current_cap(),
                                       extend=self._extender(start))  # fmt: skip
                async for event in events:
                    for chunk in _parse.checked(url, path, _parse.parse_stream_event, event):
                        if chunk.usage is not None:
                            self._account(chunk.usage, body.get("n"))
                            accounted = True
                        yield chunk
            except LLMError as exc:  # no retry mid-stream; a dead server is restarted for the next call
                await self.policy.notice(exc, start)
                raise
            finally:
                await response.aclose()
                if not accounted:
                    self._account(Usage.model_construct(calls=1, prompt_tokens=0, completion_tokens=0))

    async def _open_stream(self, path: str, body: dict[str, Any], start: float) -> tuple[httpx.Response, str]:
        timeout = self.policy.first_timeout()
        try:
            return await self._replicas.send("POST", path, body, stream=True, timeout=timeout)
        except Retryable as exc:
            return await run_attempts(exc, lambda d: self._replicas.send("POST", path, body, stream=True,
                                      timeout=self.policy.attempt_timeout(d)), self.policy, start)  # fmt: skip

    # -- pooling and inspection -------------------------------------------------------------------------------

    async def classify(self, texts: Sequence[str], *, model: str | None = None) -> list[float]:
        """POST /classify on a pooling server started with the yes/no judge overrides; returns P(yes) each."""
        body = {"model": model or self.model, "input": list(texts)}
        return await self._pooling("/classify", body, _parse.parse_classify)

    async def embed(self, texts: Sequence[str], *, model: str | None = None) -> list[list[float]]:
        """POST /v1/embeddings."""
        body = {"model": model or self.model, "input": list(texts)}
        return await self._pooling("/v1/embeddings", body, _parse.parse_embeddings)

    async def _pooling(self, path: str, body: dict[str, Any], parse: Callable[[dict[str, Any]], T]) -> T:
        data, url = await self._call("POST", path, body)
        result = _parse.checked(url, path, parse, data)
        self._account(_parse.parse_usage(data))
        return result

    async def models(self) -> list[str]:
        """Model names the server serves (GET /v1/models)."""
        data, url = await self._call("GET", "/v1/models", None)
        return _parse.checked(url, "/v1/models", _parse.parse_models, data)

    async def health(self) -> bool:
        """True when every replica answers ``GET /health`` with 200. A probe: no retries, no exceptions."""
        for root in self.base_urls:
            try:
                response = await self._http.get(root + "/health", timeout=self.policy.connect_timeout_s)
            except httpx.HTTPError:
                return False
            if response.status_code != 200:
                return False
        return True

    # -- accounting -------------------------------------------------------------------------------------------

    def _account(self, usage: Usage, n: Any = 1) -> None:
        """Count one reply: its usage, with the prompt once per sequence as the server counts it (``n``)."""
        usage.sequence_prompt_tokens = usage.prompt_tokens * max(1, int(n or 1))
        self._meter.add(usage)

    @property
    def usage(self) -> Usage:
        """Totals over the client's lifetime (a snapshot)."""
        return self._meter.total

    def track(self) -> AbstractContextManager[Usage]:
        """Per-run accounting: calls made inside the ``with`` block (same asyncio context) add to the yielded Usage.

        Tasks started inside the block inherit it; nested blocks all count; concurrent runs stay separate.
        """
        return self._meter.track()

    # -- transport --------------------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        """One request with retries, under the concurrency limit: (JSON object, the URL that answered).

        The first attempt runs without tenacity: almost every call succeeds first time.
        """
        async with self._slots:
            start = time.monotonic()
            try:
                return await self._attempt(method, path, body, self.policy.deadline(start))
            except Retryable as exc:
                return await run_attempts(exc, lambda d: self._attempt(method, path, body, d), self.policy, start)

    async def _attempt(
        self, method: str, path: str, body: dict[str, Any] | None, deadline: float
    ) -> tuple[dict[str, Any], str]:
        """One attempt that should end by ``deadline``; with ``patience`` it may go on while the server progresses."""
        cap = current_cap()
        hard_end = deadline if self.patience is None else self.patience.hard_end(deadline - self.policy.timeout_s, cap)
        if hard_end <= deadline:
            response, url = await self._replicas.send(method, path, body, timeout=self.policy.attempt_timeout(deadline))
        else:
            assert self.patience is not None
            response, url = await self.patience.wait(
                lambda timeout: self._replicas.send(method, path, body, timeout=timeout), deadline, hard_end,
                self.policy.connect_timeout_s, self._tokens_counted, ", ".join(self.base_urls),
            )  # fmt: skip
            self.waited_past_timeout += time.monotonic() > deadline
        return decode_json(response, url, path), url

    def _extender(self, began: float) -> Callable[[], Awaitable[float | None]] | None:
        """More time for a stream's first token while the server counts tokens (None: no patience)."""
        return (
            None
            if self.patience is None
            else self.patience.extender(self._tokens_counted, self.patience.hard_end(began, current_cap()))
        )

    async def _tokens_counted(self) -> float | None:
        # A live server answers /metrics in milliseconds; a probe never adds more than a tenth of timeout_s.
        limit = min(self.policy.connect_timeout_s, max(0.25, self.policy.timeout_s / 10))
        return await tokens_counted(self._probe_http, self.base_urls, limit)

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._probe_http.aclose()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
