"""A scripted fake OpenAI-compatible backend for tests: no server, no network, deterministic replies.

``FakeLLM`` answers chat, completions (also ``echo`` scoring), streaming, ``/classify``, ``/v1/embeddings``,
``/v1/models`` and ``/health`` through ``httpx.MockTransport``, in vLLM's JSON shapes, and can inject the
faults a real server shows (5xx/429, refused connections, broken JSON, slow answers)::

    fake = FakeLLM(default="I am not sure")
    fake.on("capital of France", texts=["Paris", "Paris", "Lyon"], logprob=[-0.1, -0.1, -2.3])
    fake.on_classify("Paris", p_yes=0.9)
    fake.fail(503, retry_after=0.01)               # the next request gets a 503, then answers normally
    async with fake.client() as llm:
        out = await llm.chat([{"role": "user", "content": "The capital of France?"}], n=3, logprobs=True)
        assert [c.text for c in out.choices] == ["Paris", "Paris", "Lyon"]
    assert fake.calls["/v1/chat/completions"] == 2

Rules are tried in registration order; faults are used first-in first-out, one per request, on any path.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from assay import _fake_replies as replies
from assay.llm.client import LLMClient

__all__ = ["FakeLLM", "FakeRequest"]


@dataclass(frozen=True)
class FakeRequest:
    """One request the fake received: ``prompt`` is the message contents joined by newlines (or the prompt)."""

    path: str
    body: dict[str, Any]
    prompt: str
    url: str = ""


@dataclass
class _Rule:
    match: str | Callable[[FakeRequest], bool]
    samples: list[replies.Sample]
    times: int | None

    def applies(self, request: FakeRequest) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return self.match(request) if callable(self.match) else self.match in request.prompt


@dataclass
class _Fault:
    kind: Literal["fail", "disconnect", "malformed", "stall"]
    times: int
    status: int = 503
    retry_after: float | None = None
    message: str = ""
    seconds: float = 0.0


MAX_STOP = 4  # stop strings an OpenAI-compatible server accepts in one request


def _prompt_of(body: Mapping[str, Any]) -> str:
    if "messages" in body:
        return "\n".join(str(m.get("content") or "") for m in body["messages"])
    value = body.get("prompt", body.get("input", ""))
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def _json(status: int, data: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(data).encode(), headers={"content-type": "application/json", **(headers or {})}
    )


class FakeLLM:
    """Scripted OpenAI-compatible backend (like pydantic-ai's ``TestModel``); see the module docstring."""

    def __init__(self, *, default: str | None = "OK", models: Sequence[str] | None = None) -> None:
        """``default``: the reply when no rule matches (None: HTTP 501 naming the prompt, never retried).
        ``models``: if given, other model names get vLLM's 404 "model does not exist"."""
        self.default = default
        self.served = list(models) if models else None
        self.requests: list[FakeRequest] = []
        self.calls: Counter[str] = Counter()
        self.transport = httpx.MockTransport(self._handle)
        self._rules: list[_Rule] = []
        self._classify: list[tuple[str | Callable[[str], bool], float | Callable[[str], float]]] = []
        self._embed: Callable[[str], list[float]] = replies.hash_embedding
        self._faults: list[_Fault] = []

    # -- scripting ----------------------------------------------------------------------------------------

    def on(
        self,
        match: str | Callable[[FakeRequest], bool] = "",
        *,
        texts: str | Sequence[str],
        logprob: float | Sequence[float] = -0.05,
        top: Mapping[str, float] | None = None,
        finish_reason: str = "stop",
        times: int | None = None,
    ) -> FakeLLM:
        """Reply to chat/completions whose prompt contains ``match`` (or satisfies it). ``n=k`` takes ``texts``
        cyclically; ``logprob`` is every token's logprob, or one per text; ``top`` fills top_logprobs."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        lps = [float(logprob)] if isinstance(logprob, int | float) else [float(x) for x in logprob]
        if not texts or not lps:
            raise ValueError("texts and logprob must not be empty")
        samples = [replies.Sample(t, lps[i % len(lps)], top, finish_reason) for i, t in enumerate(texts)]
        self._rules.append(_Rule(match, samples, times))
        return self

    def on_classify(self, match: str | Callable[[str], bool] = "", *, p_yes: float | Callable[[str], float]) -> FakeLLM:
        """P(yes) for ``/classify`` inputs containing ``match`` (or satisfying it); unmatched inputs get 0.5."""
        self._classify.append((match, p_yes))
        return self

    def on_embed(self, fn: Callable[[str], list[float]]) -> FakeLLM:
        """Vector of each embedded text (default: a deterministic 64-d bag-of-words hash)."""
        self._embed = fn
        return self

    def fail(self, status: int = 503, *, times: int = 1, retry_after: float | None = None,
             message: str = "scripted failure") -> FakeLLM:  # fmt: skip
        """The next ``times`` requests get HTTP ``status`` (with ``Retry-After`` if given)."""
        return self._fault(_Fault("fail", times, status=status, retry_after=retry_after, message=message))

    def disconnect(self, *, times: int = 1) -> FakeLLM:
        """The next ``times`` requests raise ``httpx.ConnectError`` (a server that is down)."""
        return self._fault(_Fault("disconnect", times))

    def malformed(self, *, times: int = 1) -> FakeLLM:
        """The next ``times`` requests get HTTP 200 with a body that is not JSON."""
        return self._fault(_Fault("malformed", times))

    def stall(self, seconds: float, *, times: int = 1) -> FakeLLM:
        """The next ``times`` requests wait ``seconds`` first; past the client's read timeout they time out."""
        return self._fault(_Fault("stall", times, seconds=seconds))

    def _fault(self, fault: _Fault) -> FakeLLM:
        self._faults.append(fault)
        return self

    def client(self, **kwargs: Any) -> LLMClient:
        """An ``LLMClient`` wired to this fake (keyword arguments override the defaults)."""
        options: dict[str, Any] = {"base_urls": "http://127.0.0.1:9/v1", "model": "fake", "transport": self.transport}
        return LLMClient(**{**options, **kwargs})

    # -- serving ------------------------------------------------------------------------------------------

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        fake = FakeRequest(request.url.path, body, _prompt_of(body), str(request.url))
        self.requests.append(fake)
        self.calls[fake.path] += 1
        faulted = await self._apply_fault(request)
        return faulted if faulted is not None else self._route(fake)

    async def _apply_fault(self, request: httpx.Request) -> httpx.Response | None:
        fault = next((f for f in self._faults if f.times > 0), None)
        if fault is None:
            return None
        fault.times -= 1
        if fault.kind == "disconnect":
            raise httpx.ConnectError("[Errno 111] Connection refused (scripted)", request=request)
        if fault.kind == "malformed":
            return httpx.Response(200, content=b"<html>not json", headers={"content-type": "application/json"})
        if fault.kind == "fail":
            headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else None
            return _json(
                fault.status, replies.error_body(fault.status, fault.message, "ServiceUnavailableError"), headers
            )
        # MockTransport bypasses httpx's network timeouts: honour the request's read timeout here.
        read = (request.extensions.get("timeout") or {}).get("read")
        if read is not None and fault.seconds > read:
            await asyncio.sleep(read)
            raise httpx.ReadTimeout("timed out (scripted stall)", request=request)
        await asyncio.sleep(fault.seconds)
        return None

    def _route(self, req: FakeRequest) -> httpx.Response:
        model = str(req.body.get("model", "fake"))
        if self.served is not None and req.body and model not in self.served:
            return _json(404, replies.error_body(404, f"The model `{model}` does not exist.", "NotFoundError"))
        if req.path == "/health":
            return httpx.Response(200)
        if req.path == "/v1/models":
            return _json(200, replies.models_reply(self.served or ["fake"]))
        if req.path == "/classify":
            inputs = self._inputs(req)
            return _json(200, replies.classify_reply(model, inputs, [self._p_yes(t) for t in inputs]))
        if req.path == "/v1/embeddings":
            inputs = self._inputs(req)
            return _json(200, replies.embed_reply(model, inputs, [self._embed(t) for t in inputs]))
        if req.path in ("/v1/chat/completions", "/v1/completions"):
            if len(req.body.get("stop") or []) > MAX_STOP:  # vLLM (as OpenAI) rejects the request
                return _json(400, replies.error_body(400, f"body.stop: at most {MAX_STOP} items", "BadRequestError"))
            return self._generate(req, model)
        return _json(404, {"detail": "Not Found"})

    def _generate(self, req: FakeRequest, model: str) -> httpx.Response:
        rule = next((r for r in self._rules if r.applies(req)), None)
        if rule is None and self.default is None:
            return _json(
                501, replies.error_body(501, f"no scripted reply for: {req.prompt[:60]!r}", "NotImplementedError")
            )
        if rule is not None and rule.times is not None:
            rule.times -= 1
        samples = rule.samples if rule else [replies.Sample(self.default or "", -0.05, None, "stop")]
        n = int(req.body.get("n") or 1)
        chosen = [samples[i % len(samples)] for i in range(n)]
        if req.path == "/v1/completions":
            if req.body.get("echo") and req.body.get("max_tokens") == 0:
                return _json(200, replies.score_reply(model, req.prompt, chosen[0], int(req.body.get("logprobs") or 0)))
            return _json(200, replies.text_reply(model, req.prompt, chosen, req.body))
        if req.body.get("stream"):
            sse = replies.chat_sse(model, req.prompt, chosen, req.body)
            return httpx.Response(200, content=sse, headers={"content-type": "text/event-stream"})
        return _json(200, replies.chat_reply(model, req.prompt, chosen, req.body))

    @staticmethod
    def _inputs(req: FakeRequest) -> list[str]:
        value = req.body.get("input", [])
        return [value] if isinstance(value, str) else [str(v) for v in value]

    def _p_yes(self, text: str) -> float:
        for match, p_yes in self._classify:
            if match(text) if callable(match) else match in text:
                return p_yes(text) if callable(p_yes) else float(p_yes)
        return 0.5
