"""Map what went wrong on the wire to one typed ``LLMError`` line, and decide whether it is worth a retry.

Retried: connection failures, timeouts (incl. HTTP 408), 429 and 5xx (wrapped in ``Retryable``). Never retried:
other 4xx, 501/505 (the server lacks the feature), unknown models, malformed answers: sending the same request
again gives the same answer.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
from pydantic_core import from_json

from assay.errors import LLMError, LLMHTTPError, LLMTimeout, MalformedResponse, ServerUnavailable, UnknownModel
from assay.llm._retry import Retryable, parse_retry_after

_NEVER_TRANSIENT_5XX = frozenset({501, 505})
_MAX_DETAIL = 300


def unreachable(urls: list[str]) -> ServerUnavailable:
    where = ", ".join(urls)
    if os.environ.get("ASSAY_BASE_URL", "").strip():  # the user chose it: telling them to set it does not help
        hint = "check that the server ASSAY_BASE_URL names is running and listening there"
    else:
        hint = "start it with `assay up` or set ASSAY_BASE_URL"
    return ServerUnavailable(f"cannot reach the model server at {where}: {hint}")


def timed_out(url: str, exc: httpx.TimeoutException) -> LLMTimeout:
    kind = type(exc).__name__
    return LLMTimeout(f"the model server at {url} did not answer in time ({kind}); raise ASSAY_TIMEOUT_S if it is busy")


def transport_failure(url: str, exc: httpx.TransportError) -> Retryable:
    """A failure after connecting (read timeout, dropped connection): transient, so retried."""
    if isinstance(exc, httpx.TimeoutException):
        return Retryable(timed_out(url, exc))
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    return Retryable(ServerUnavailable(f"the model server at {url} dropped the connection: {first}"))


def server_message(response: httpx.Response) -> str:
    """The server's error message (OpenAI ``error.message``, vLLM ``message`` or text) on one line: vLLM puts
    the field that failed validation on the lines after "2 validation errors:", so they are joined, not cut."""
    text = response.text
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner = data.get("error")
        if isinstance(inner, dict):
            data = inner
        for key in ("message", "detail", "error"):
            if isinstance(data.get(key), str):
                text = data[key]
                break
    line = " ".join(text.split()) or response.reason_phrase or "no message"
    return line[:_MAX_DETAIL]


def http_failure(response: httpx.Response, url: str, path: str, model: str | None) -> LLMError | Retryable:
    """Typed error for a status >= 400; transient statuses come back wrapped in ``Retryable``."""
    status = response.status_code
    message = server_message(response)
    if status in (408, 429) or (status >= 500 and status not in _NEVER_TRANSIENT_5XX):
        error = LLMHTTPError(f"the model server at {url} answered {path} with HTTP {status}: {message}", status)
        return Retryable(error, parse_retry_after(response.headers.get("retry-after")))
    lowered = message.lower()
    if status == 404 and "model" in lowered and "not exist" in lowered:
        return UnknownModel(
            f"the model server at {url} does not serve model {model!r} (list them with GET /v1/models)", status
        )
    return LLMHTTPError(f"the model server at {url} rejected {path} (HTTP {status}): {message}", status)


def malformed(url: str, path: str, detail: object) -> MalformedResponse:
    first = (str(detail).splitlines() or ["?"])[0][:_MAX_DETAIL]
    return MalformedResponse(f"the server at {url} sent an answer to {path} that is not OpenAI-compatible: {first}")


def decode_json(response: httpx.Response, url: str, path: str) -> dict[str, Any]:
    """The response body as a JSON object, or ``MalformedResponse``."""
    try:
        data = from_json(response.content)  # pydantic-core's parser: about twice as fast as json.loads
    except ValueError as exc:
        raise malformed(url, path, f"invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise malformed(url, path, f"expected a JSON object, got {type(data).__name__}")
    return data
