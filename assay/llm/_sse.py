"""Server-sent events as OpenAI-compatible servers send them: ``data: {json}`` lines, ending with ``[DONE]``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


async def sse_objects(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON object of each ``data:`` line; comments, ``event:``/``id:`` lines and blank lines are skipped.

    Raises ``ValueError`` for a data line that is not a JSON object (the caller reports a malformed answer).
    """
    async for line in response.aiter_lines():
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
