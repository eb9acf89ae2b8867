"""OpenAI-style error bodies, the API-key check and the request-size limit.

Every failure a client can cause is a 4xx with ``{"error": {"message", "type", "param", "code"}}``, the shape
the ``openai`` SDK turns into ``BadRequestError``, ``AuthenticationError``, ``NotFoundError`` and so on.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from assay.errors import AssayError, InputError, LLMError, LLMTimeout, ServerUnavailable


class APIError(Exception):
    """An HTTP error with an OpenAI-shaped body."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"www-authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def from_assay(exc: AssayError) -> APIError:
    """A run's failure as an HTTP error: the user's input is a 400, an unreachable model server a 502/504."""
    if isinstance(exc, InputError):
        return APIError(400, str(exc))
    if isinstance(exc, LLMTimeout):
        return APIError(504, f"model server timed out: {exc}", "upstream_error", "upstream_timeout")
    if isinstance(exc, ServerUnavailable | LLMError):
        return APIError(502, f"model server failed: {exc}", "upstream_error", "upstream_error")
    return APIError(500, str(exc), "server_error")


def check_key(request: Request, api_key: str | None) -> None:
    """401 unless the request carries ``Authorization: Bearer <api_key>`` (when a key is configured)."""
    if api_key is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), api_key.encode()):
        raise APIError(401, "invalid or missing API key (send Authorization: Bearer <key>)", code="invalid_api_key")


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, read at most ``limit`` bytes: too large is a 413, unparsable a 400."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise APIError(400, f"the request body is not valid JSON: {exc}", code="invalid_json") from None


def _too_large(limit: int) -> APIError:
    return APIError(413, f"the request body is larger than {limit} bytes", code="request_too_large")
