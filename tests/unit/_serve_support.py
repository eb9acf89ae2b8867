"""A real ``assay serve`` (uvicorn on 127.0.0.1, port chosen by the OS) in a thread, on a scripted FakeLLM."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from assay.context import RunContext
from assay.serve import Engine, ServeConfig, create_app
from assay.settings import Settings
from assay.testing import FakeLLM

QUESTION = "What is 2 + 2?"
SOLVER = "Solve this problem"
REPLY = " 2 + 2 = 4\nAnswer: 4\nConfidence: 95%"  # what the model writes after the solver's "Step 1:"
RIGHT = "Step 1:" + REPLY


def fakes() -> tuple[FakeLLM, FakeLLM]:
    """A generator whose samples all agree on 4 and a judge that likes it: the adaptive graph's easy path."""
    generator = FakeLLM(default="I do not know").on(SOLVER, texts=[REPLY], logprob=-0.1)
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=0.97).on_classify("", p_yes=0.2)
    return generator, judge


@dataclass
class Served:
    url: str
    generator: FakeLLM
    judge: FakeLLM
    server: uvicorn.Server
    thread: threading.Thread

    def engine(self) -> Engine:
        app: Any = self.server.config.app
        engine: Engine = app.state.engine
        return engine

    def engine_active(self) -> int:
        return len(self.engine().active)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve(tmp: Path, *, api_key: str | None = None, max_body: int = 1 << 20, **settings: Any) -> Served:
    """Start the server; ``stop()`` it afterwards."""
    generator, judge = fakes()
    conf = Settings(home=tmp, checkpoint_path=tmp / "serve.sqlite", samples=4, **settings)
    ctx = RunContext(settings=conf, llm=generator.client(), judge=judge.client())
    app = create_app(ServeConfig(settings=conf, ctx=ctx, api_key=api_key, max_body_bytes=max_body))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return Served(f"http://127.0.0.1:{port}", generator, judge, server, thread)


def wait_until(check: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())
