"""``run()``: one graph run with a checkpoint, resume, human review, streaming and budgets.

Every run is checkpointed (SQLite by default) under a thread id, so a crash or Ctrl-C loses at most the
node that was running: calling ``run`` again with the same ``thread_id`` resumes without re-running the
finished nodes, and a finished thread just returns its final state. Many runs may share one ``RunContext``
(one client with a bounded connection pool) and one checkpointer.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing, suppress
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.types import Command, StateSnapshot
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from assay.context import Retriever, RunContext
from assay.errors import CheckpointError, InputError
from assay.graphs.registry import build_graph, get_recipe
from assay.kit import Recipe
from assay.llm.types import Usage
from assay.settings import Settings, load_settings
from assay.state import BUDGET, Budget, Candidate, Evidence, Flips, Review, Route, RunState, Scores, Task, TokenStats
from assay.streaming import EventSink, streaming_tokens

HumanReply = bool | dict[str, Any]  # approve/reject, or {"approve": bool, "answer": "edited text"}
HumanHook = Callable[[dict[str, Any]], HumanReply | Awaitable[HumanReply]]
Checkpointer = BaseCheckpointSaver[Any]
_STATE_TYPES: list[type[Any]] = [RunState, Task, Budget, Candidate, TokenStats, Scores, Evidence, Review, Route,
                                  Flips, Usage]  # fmt: skip


def register_state_type(cls: type[Any]) -> None:
    """Allow-list a model a recipe keeps in ``RunState.extra`` so checkpoints revive it (call before ``run``)."""
    if cls not in _STATE_TYPES:
        _STATE_TYPES.append(cls)


def checkpoint_serde() -> JsonPlusSerializer:
    """LangGraph's serializer with assay's state types allow-listed (nothing else is revived from disk)."""
    return JsonPlusSerializer(allowed_msgpack_modules=list(_STATE_TYPES))


def _check_readable(path: Path) -> None:
    """Fail with one line, before LangGraph touches it, if ``path`` exists but is not a readable database."""
    if not path.exists():
        return
    try:
        # closing(): sqlite3's own ``with`` only ends the transaction; an unclosed connection lingers until GC
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise _corrupt(path, exc) from None


def _corrupt(path: Path, exc: Exception) -> CheckpointError:
    return CheckpointError(f"checkpoint file {path} is unreadable ({exc}); move it away or set ASSAY_CHECKPOINT_PATH")


@asynccontextmanager
async def open_checkpointer(path: Path) -> AsyncIterator[Checkpointer]:
    """An ``AsyncSqliteSaver`` on ``path`` (parents created). Share one across concurrent runs.

    For several worker processes or machines use ``langgraph-checkpoint-postgres`` instead (docs/graphs.md).
    """
    _check_readable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        saver.serde = checkpoint_serde()
        await saver.setup()
        # WAL + synchronous=NORMAL: an app crash loses nothing; only a power cut may drop the last steps.
        await saver.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            yield saver
        finally:
            await _settle(saver)


async def _settle(saver: AsyncSqliteSaver) -> None:
    """Let in-flight writes finish, then roll back what a cancelled one left open, before the connection closes.

    A run cancelled (Ctrl+C) in the middle of LangGraph's background writes left a transaction open and a
    cursor unfinished; closing the connection then left a zombie that held SQLite's write lock for the rest
    of the process, so every later run in ``assay chat`` failed with "database is locked". The rollback is
    queued behind any statement still in the connection's thread, so it always runs after it.
    """
    # a broken or closed connection is not this function's error: the one that broke it is already on its way
    async with saver.lock:
        with suppress(sqlite3.Error, ValueError):
            await saver.conn.rollback()


def make_task(task: Task | str) -> Task:
    """A ``Task`` from a bare question (kind guessed by ``detect_kind``); bad input is an ``InputError``."""
    if isinstance(task, Task):
        return task
    if not task.strip():
        raise InputError("the question is empty")
    from assay.agents.kind import detect_kind

    try:
        return Task(question=task, kind=detect_kind(task))
    except ValidationError as exc:
        raise InputError(f"invalid task: {exc.errors()[0]['msg']}") from None


def default_budget(settings: Settings) -> Budget:
    return Budget(
        max_calls=settings.budget_calls, max_tokens=settings.budget_tokens, max_seconds=settings.budget_seconds
    )


@asynccontextmanager
async def client_context(settings: Settings, retriever: Retriever | None = None) -> AsyncIterator[RunContext]:
    """A ``RunContext`` with clients from the settings, closed afterwards (share it between runs); its
    settings carry the generator model's measured defaults where the user set nothing (``tuned_settings``)."""
    from assay.llm.models import make_clients, tuned_settings

    llm, judge, embedder = make_clients(settings)
    settings = tuned_settings(settings, llm.model)
    try:
        yield RunContext(settings=settings, llm=llm, judge=judge, embedder=embedder, retriever=retriever)
    finally:
        for client in (llm, judge, embedder):
            if client is not None:
                await client.aclose()


@asynccontextmanager
async def default_context(settings: Settings, task: Task) -> AsyncIterator[RunContext]:
    """``client_context`` plus, for QA tasks, the offline retriever."""
    retriever = None
    if task.kind == "qa":
        from assay.tools.search import default_retriever

        retriever = default_retriever(settings)
    async with client_context(settings, retriever) as ctx:
        yield ctx


def new_thread_id() -> str:
    return uuid.uuid4().hex[:12]


def _event(mode: str, chunk: Any) -> dict[str, Any]:
    if mode == "custom":
        return {"type": "node", **chunk} if isinstance(chunk, dict) else {"type": "node", "data": chunk}
    node, update = next(iter(chunk.items())) if isinstance(chunk, dict) and chunk else ("", chunk)
    return {"type": "update", "node": node, "update": to_jsonable_python(update, fallback=str)}


async def _answer(human: HumanHook | None, snap: StateSnapshot, thread_id: str) -> Command[Any]:
    """The human's decision on the pending review, as the command that resumes the thread."""
    if human is None:
        raise InputError(f"thread {thread_id} waits for human review; resume it with a human hook (--human)")
    payload = snap.interrupts[0].value
    answer = human(payload if isinstance(payload, dict) else {"value": payload})
    reply = await answer if inspect.isawaitable(answer) else answer
    if isinstance(reply, dict):  # an edit: the human's own answer travels with the approval
        return Command(resume={**reply, "approve": bool(reply.get("approve", True))})
    return Command(resume={"approve": bool(reply)})


async def _drive(app: Any, first: Any, config: RunnableConfig, ctx: RunContext, on_event: EventSink | None,
                 human: HumanHook | None) -> None:  # fmt: skip
    """Stream the graph to its end, answering human interrupts and resuming after each."""
    inp, thread_id = first, config["configurable"]["thread_id"]
    while True:
        async for mode, chunk in app.astream(inp, config, context=ctx, stream_mode=["updates", "custom"]):
            if on_event is not None:
                on_event(_event(mode, chunk))
        snap = await app.aget_state(config)
        if not snap.interrupts:
            return
        inp = await _answer(human, snap, thread_id)


@functools.lru_cache(maxsize=64)
def _compiled(recipe: Recipe, human: bool) -> Any:
    """Compiling costs ~15 ms; runs of one recipe share the compiled graph and swap in their checkpointer."""
    return build_graph(recipe.name, human=human).compile()


def _more_budget(recipe: Recipe, snap: StateSnapshot, budget: Budget | None) -> Command[Any] | None:
    """The input that continues a finished thread which stopped on its budget, when ``budget`` (given by the
    caller) is bigger than what it spent: the new budget replaces the old, ``stopped_by`` is cleared, and the
    run re-enters at the recipe's ``resume_at`` node (which then meets the stop rules again). Else None."""
    values = snap.values
    if budget is None or recipe.resume_at is None or snap.next or values.get("stopped_by") != BUDGET:
        return None
    if budget.exhausted(values["usage"], float(values.get("elapsed_s", 0.0))):
        return None  # no bigger than what was spent: nothing more to do
    return Command(update={"budget": budget, "stopped_by": None}, goto=recipe.resume_at)


async def _run_thread(graph: str, task: Task, budget: Budget | None, ctx: RunContext, saver: Checkpointer,
                      thread_id: str, human: HumanHook | None, on_event: EventSink | None) -> RunState:  # fmt: skip
    recipe = get_recipe(graph)
    app = _compiled(recipe, human is not None).copy({"checkpointer": saver})
    limit = recipe.recursion_limit(ctx.settings.max_rounds)  # supersteps, from the recipe's own shape
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}, "recursion_limit": limit}
    try:
        snap = await app.aget_state(config)
    except (ValueError, TypeError) as exc:  # one corrupted thread (undecodable blob); the others stay readable
        raise CheckpointError(
            f"the checkpoint of thread {thread_id} is corrupted ({exc}); start a new --thread"
        ) from None
    if not snap.values:
        first = RunState(task=task, budget=budget or default_budget(ctx.settings))
        await _drive(app, first, config, ctx, on_event, human)
    elif snap.values["task"].question != task.question:
        raise InputError(f"thread {thread_id} belongs to another question; pick a new --thread id")
    elif snap.interrupts:  # answer the pending review first: resuming without it would only ask again
        await _drive(app, await _answer(human, snap, thread_id), config, ctx, on_event, human)
    elif snap.next:
        await _drive(app, None, config, ctx, on_event, human)
    elif (more := _more_budget(recipe, snap, budget)) is not None:
        await _drive(app, more, config, ctx, on_event, human)
    return RunState.model_validate((await app.aget_state(config)).values)


async def run(
    task: Task | str,
    *,
    graph: str = "adaptive",
    settings: Settings | None = None,
    ctx: RunContext | None = None,
    thread_id: str | None = None,
    human: HumanHook | None = None,
    on_event: EventSink | None = None,
    budget: Budget | None = None,
    checkpointer: Checkpointer | None = None,
    stream_tokens: bool = False,
) -> RunState:
    """Run ``graph`` on ``task`` and return the final ``RunState`` (resuming thread ``thread_id`` if it exists).

    ``human`` is called with the pending decision when a refined answer would replace a solver answer and
    returns approve (True) or reject. A ``budget`` bigger than what a thread that stopped on its budget spent
    continues that thread (recipes with ``resume_at``). ``on_event`` receives node updates and start/end events.
    ``checkpointer`` defaults to SQLite at ``settings.checkpoints``; pass one to share it between runs.
    ``stream_tokens`` also sends the agents' token deltas to ``on_event`` (``{"type": "token", ...}``).
    """
    the_task = make_task(task)
    settings = settings or (ctx.settings if ctx else load_settings())
    tid = thread_id or new_thread_id()
    sink = on_event if stream_tokens else None
    async with _maybe_context(ctx, settings, the_task) as context, _maybe_saver(checkpointer, settings) as saver:
        try:
            with streaming_tokens(sink):
                return await _run_thread(graph, the_task, budget, context, saver, tid, human, on_event)
        except sqlite3.DatabaseError as exc:
            raise _corrupt(settings.checkpoints, exc) from None


@asynccontextmanager
async def _maybe_context(ctx: RunContext | None, settings: Settings, task: Task) -> AsyncIterator[RunContext]:
    if ctx is not None:
        yield ctx
        return
    async with default_context(settings, task) as made:
        yield made


@asynccontextmanager
async def _maybe_saver(saver: Checkpointer | None, settings: Settings) -> AsyncIterator[Checkpointer]:
    if saver is not None:
        yield saver
        return
    async with open_checkpointer(settings.checkpoints) as opened:
        yield opened
