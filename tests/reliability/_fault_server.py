"""A real HTTP server on 127.0.0.1 whose answers are scripted request by request (faults on a real socket).

``FaultServer`` speaks just enough HTTP/1.1 for httpx (one request per connection, ``Connection: close``), so
timeouts, dropped connections and truncated bodies happen on the wire exactly as with a broken vLLM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from assay import _fake_replies as replies
from assay.llm.client import LLMClient

ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause."


@dataclass
class Step:
    """How to answer one request. Kinds: ok, status, hang, close, truncated, malformed, empty_choices,
    no_logprobs, stall_stream (``chunks`` SSE lines, then silence), engine_dead (vLLM's 500)."""

    kind: str = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: int = 2


class FaultServer:
    """``async with FaultServer(Step("status", 503), Step()) as server``: ``server.url``, ``server.seen``."""

    def __init__(self, *steps: Step, reply: str = "fine") -> None:
        self.steps = list(steps)
        self.reply = reply
        self.seen: list[str] = []  # request paths, in order
        self._server: asyncio.Server | None = None
        self._hung: list[asyncio.Event] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for event in self._hung:
            event.set()
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            length = next(
                (int(h.split(":")[1]) for h in head.split("\r\n") if h.lower().startswith("content-length")), 0
            )
            body = json.loads(await reader.readexactly(length)) if length else {}
            path = head.split(" ")[1]
            self.seen.append(path)
            step = self.steps.pop(0) if self.steps else Step()
            await self._answer(step, path, body, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, step: Step, path: str, body: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        if step.kind == "close":
            return
        if step.kind == "hang":
            event = asyncio.Event()
            self._hung.append(event)
            await event.wait()
            return
        if step.kind == "status":
            error = replies.error_body(step.status, f"scripted {step.status}", "ServiceUnavailableError")
            await _send(writer, step.status, json.dumps(error).encode(), step.headers)
        elif step.kind == "engine_dead":
            await _send(writer, 500, json.dumps(replies.error_body(500, ENGINE_DEAD, "InternalServerError")).encode())
        elif step.kind == "truncated":
            whole = json.dumps(self._reply(path, body)).encode()
            await _send(writer, 200, whole[: len(whole) // 2], {"Content-Length": str(len(whole))})
        elif step.kind == "malformed":
            await _send(writer, 200, b'{"choices": [{"index": 0, "message": {"content": "fi')
        elif step.kind == "stall_stream":
            await self._stall_stream(body, writer, step.chunks)
        elif body.get("stream"):
            await _send(writer, 200, replies.chat_sse("m", "", [self._sample()], body), _SSE)
        else:
            await _send(writer, 200, json.dumps(self._reply(path, body, step)).encode())

    def _sample(self) -> replies.Sample:
        return replies.Sample(self.reply, -0.1, None, "stop")

    def _reply(self, path: str, body: dict[str, Any], step: Step | None = None) -> dict[str, Any]:
        if path == "/classify":
            inputs = body.get("input") or []
            return replies.classify_reply("m", inputs, [0.9] * len(inputs))
        data = replies.chat_reply("m", "", [self._sample()] * int(body.get("n") or 1), body)
        if step is not None and step.kind == "empty_choices":
            data["choices"] = []
        if step is not None and step.kind == "no_logprobs":
            for choice in data["choices"]:
                choice["logprobs"] = None
        return data

    async def _stall_stream(self, body: dict[str, Any], writer: asyncio.StreamWriter, chunks: int) -> None:
        lines = replies.chat_sse("m", "", [self._sample()], body).split(b"\n\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
        for line in lines[:chunks]:
            writer.write(line + b"\n\n")
        await writer.drain()
        event = asyncio.Event()
        self._hung.append(event)
        await event.wait()


_SSE = {"Content-Type": "text/event-stream"}


async def _send(writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    fields = {"Content-Type": "application/json", "Content-Length": str(len(body)), "Connection": "close"}
    fields.update(headers or {})
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    writer.write(head.encode() + body)
    await writer.drain()


@asynccontextmanager
async def serving(*steps: Step, **client_options: Any) -> AsyncIterator[tuple[FaultServer, LLMClient]]:
    """A ``FaultServer`` scripted with ``steps`` and an ``LLMClient`` (model "m") pointed at it."""
    async with FaultServer(*steps) as server, LLMClient(server.url, **{"model": "m", **client_options}) as llm:
        yield server, llm
