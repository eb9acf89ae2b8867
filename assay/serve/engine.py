"""What the server shares across requests: one ``RunContext`` (clients with bounded pools), one checkpointer, and
the set of runs in flight (so a cancelled or disconnected request can be seen to leave nothing behind).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TypeVar

from assay.context import RunContext
from assay.graphs.registry import get_recipe, graph_names
from assay.runtime import Checkpointer, default_budget, new_thread_id, open_checkpointer, run
from assay.serve.errors import APIError
from assay.serve.schemas import ChatRequest, make_budget, make_settings, make_task
from assay.settings import Settings
from assay.state import Budget, RunState, Task
from assay.streaming import EventSink

T = TypeVar("T")
PREFIX = "assay/"


@dataclass
class ServeConfig:
    """How ``assay serve`` runs. ``ctx`` / ``checkpointer`` are made from ``settings`` at startup when not given."""

    settings: Settings
    api_key: str | None = None
    default_graph: str = "adaptive"
    max_body_bytes: int = 1 << 20
    ctx: RunContext | None = None
    checkpointer: Checkpointer | None = None


@dataclass(frozen=True)
class Job:
    """One graph run a request asked for, fully validated."""

    graph: str
    model: str
    request: ChatRequest
    task: Task
    budget: Budget
    ctx: RunContext
    thread_id: str
    direct: bool = False  # the solver's one sample is the reply: stream its tokens as content


# Recipes whose reply is one solver sample (one greedy pass): their tokens are the answer's, live. A recipe may
# say so itself with a ``streams_reply`` attribute.
REPLY_STREAMING = frozenset({"single"})


def streams_reply(graph: str) -> bool:
    recipe = get_recipe(graph)
    return bool(getattr(recipe, "streams_reply", recipe.name in REPLY_STREAMING))


class Engine:
    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.active: set[asyncio.Task[object]] = set()
        self.threads: set[str] = set()  # thread ids with a run in flight
        self._ctx = config.ctx
        self._saver = config.checkpointer
        self._stack = AsyncExitStack()

    async def start(self) -> None:
        if self._ctx is None:
            from assay.llm.models import make_clients, tuned_settings

            llm, judge, embedder = make_clients(self.config.settings)
            for client in (llm, judge, embedder):
                if client is not None:
                    self._stack.push_async_callback(client.aclose)
            settings = tuned_settings(self.config.settings, llm.model)  # the served model's measured defaults
            self._ctx = RunContext(settings=settings, llm=llm, judge=judge, embedder=embedder)
        if self._saver is None:
            self._saver = await self._stack.enter_async_context(open_checkpointer(self.config.settings.checkpoints))

    async def aclose(self) -> None:
        for task in list(self.active):
            task.cancel()
        await asyncio.gather(*self.active, return_exceptions=True)
        await self._stack.aclose()

    def graph_of(self, model: str) -> str:
        """``assay/<graph>`` (or bare ``assay``: the default graph) to a registered recipe name; else 404."""
        name = self.config.default_graph if model == "assay" else model.removeprefix(PREFIX)
        if (not model.startswith(PREFIX) and model != "assay") or name not in graph_names():
            known = ", ".join(PREFIX + g for g in graph_names())
            raise APIError(404, f"The model {model!r} does not exist; models: {known}", code="model_not_found",
                           param="model")  # fmt: skip
        return get_recipe(name).name

    def jobs(self, request: ChatRequest) -> list[Job]:
        """One job per requested choice (``n``), each on its own thread."""
        graph = self.graph_of(request.model)
        task = make_task(request)
        ctx = self._context(request, task)
        budget = make_budget(default_budget(ctx.settings), request)
        tid = request.assay.thread_id
        if tid in self.threads:
            raise _busy(tid)
        direct = streams_reply(graph)
        return [Job(graph, request.model, request, task, budget, ctx, tid or new_thread_id(), direct)
                for _ in range(request.n)]  # fmt: skip

    def _context(self, request: ChatRequest, task: Task) -> RunContext:
        if self._ctx is None:
            raise RuntimeError("the engine is not started")
        settings = make_settings(self._ctx.settings, request)
        ctx = self._ctx if settings is self._ctx.settings else dataclasses.replace(self._ctx, settings=settings)
        if ctx.retriever is None and task.kind == "qa":
            from assay.tools.search import default_retriever

            ctx = dataclasses.replace(ctx, retriever=default_retriever(settings))
        return ctx

    async def execute(self, job: Job, on_event: EventSink | None = None) -> RunState:
        """Run ``job`` to its end on the shared checkpointer; ``on_event`` also gets the agents' tokens."""
        if self._saver is None:
            raise RuntimeError("the engine is not started")
        if job.thread_id in self.threads:  # two runs on one thread would interleave its checkpoints
            raise _busy(job.thread_id)
        self.threads.add(job.thread_id)
        try:
            return await run(job.task, graph=job.graph, ctx=job.ctx, thread_id=job.thread_id, budget=job.budget,
                             checkpointer=self._saver, on_event=on_event,
                             stream_tokens=on_event is not None)  # fmt: skip
        finally:
            self.threads.discard(job.thread_id)

    def spawn(self, work: Awaitable[T]) -> asyncio.Task[T]:
        """Start ``work`` as a tracked task: it stays in ``active`` until it ends, however it ends."""

        async def wrapped() -> T:
            return await work

        task = asyncio.create_task(wrapped())
        self.active.add(task)
        task.add_done_callback(self.active.discard)
        return task


def _busy(thread_id: str) -> APIError:
    return APIError(409, f"thread {thread_id} has a run in flight; wait for it or use another thread_id",
                    code="thread_busy", param="assay.thread_id")  # fmt: skip
