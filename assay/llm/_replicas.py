"""Sending one request to a set of replicas: round robin, failing over when a replica refuses the connection.

The client's transport layer (``LLMClient`` owns the retries, deadlines and accounting above it): one
``httpx.AsyncClient``, parsed URLs cached (parsing a string URL costs httpx about 25 µs per request), and
every failure mapped to one typed error (``_failures``), transient ones wrapped in ``Retryable``.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic_core import to_json

from assay.llm._failures import http_failure, transport_failure, unreachable
from assay.llm._retry import Retryable

_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
_DEFAULT = httpx.USE_CLIENT_DEFAULT


class Replicas:
    """The servers of one model, used round robin over one connection pool."""

    def __init__(self, http: httpx.AsyncClient, roots: list[str]) -> None:
        self.http = http
        self.roots = roots
        self._next = 0
        self._urls: dict[str, httpx.URL] = {}

    async def send(
        self, method: str, path: str, body: dict[str, Any] | None, *, stream: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> tuple[httpx.Response, str]:  # fmt: skip
        """One attempt: the next replica round robin, failing over to the others if the connection is refused.
        Returns the response and the root that answered."""
        roots = self.roots
        start = self._next
        self._next = (start + 1) % len(roots)
        content = None if body is None else to_json(body)
        for i in range(len(roots)):
            root = roots[(start + i) % len(roots)]
            request = self.http.build_request(
                method, self._url(root, path), content=content, timeout=timeout or _DEFAULT
            )
            try:
                response = await self.http.send(request, stream=stream)
                if stream and response.status_code >= 400:
                    await response.aread()  # the error message; reading to the end closes the stream
            except _CONNECT_ERRORS:
                continue
            except httpx.TransportError as exc:
                raise transport_failure(root, exc) from None
            if response.status_code >= 400:
                raise http_failure(response, root, path, body.get("model") if body else None)
            return response, root
        raise Retryable(unreachable(roots))

    def _url(self, root: str, path: str) -> httpx.URL:
        key = root + path
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = httpx.URL(key)
        return url
