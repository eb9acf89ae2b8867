"""Fakes for the ``assay chat`` tests: FakeLLM-backed run contexts, and FakeLLM behind a real loopback HTTP
server (uvicorn on 127.0.0.1) so a chat process in a pseudo-terminal can be pointed at it with ASSAY_BASE_URL."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import uvicorn
from rich.console import Console
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from textual.app import App

from assay.chat.session import ContextFactory
from assay.context import RunContext
from assay.settings import Settings
from assay.state import Task
from assay.testing import FakeLLM

SOLVED = "2 + 2 = 4\nAnswer: 4\nConfidence: 95%"
WRONG = "2 + 2 = 5\nAnswer: 5\nConfidence: 90%"


def easy_fake() -> tuple[FakeLLM, FakeLLM]:
    """Generator + judge on which "What is 2 + 2?" is easy: agreeing samples, a confident judge."""
    fake = FakeLLM(default="no idea").on("Solve this problem", texts=[SOLVED])
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=0.95)
    return fake, judge


def hard_fake() -> tuple[FakeLLM, FakeLLM]:
    """The solver says 5, the refiner 4: the refined answer asks for human review (``--human``)."""
    fake = FakeLLM(default="no idea")
    fake.on("You improve a solution", texts=[SOLVED], logprob=-0.05)
    fake.on("Solve this problem", texts=[WRONG], logprob=-0.3)
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=0.97).on_classify("Final answer:", p_yes=0.3)
    return fake, judge


def fake_context(fake: FakeLLM, judge: FakeLLM | None = None) -> ContextFactory:
    @asynccontextmanager
    async def context(settings: Settings, task: Task) -> AsyncIterator[RunContext]:
        llm, jc = fake.client(), judge.client() if judge else None
        try:
            yield RunContext(settings=settings, llm=llm, judge=jc)
        finally:
            await llm.aclose()
            if jc is not None:
                await jc.aclose()

    return context


def _asgi(fake: FakeLLM) -> Starlette:
    async def forward(request: Request) -> Response:
        body = await request.body()
        upstream = httpx.Request(request.method, str(request.url), headers=request.headers.raw, content=body)
        reply = await fake.transport.handle_async_request(upstream)
        content = await reply.aread()
        return Response(content, status_code=reply.status_code, media_type=reply.headers.get("content-type"))

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


@contextmanager
def serve_fake(fake: FakeLLM) -> Iterator[str]:
    """``fake`` on http://127.0.0.1:PORT/v1 for the duration of the block (a daemon thread runs uvicorn)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(_asgi(fake), log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def screen_text(app: App[None]) -> str:
    """What the terminal shows now, as plain text (the same render ``export_screenshot`` makes)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()
