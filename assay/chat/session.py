"""A chat session: the chosen graph, budget and model, the runs asked so far, and how one run is executed.

The session is the part the Textual app and the plain line mode share; it knows nothing about screens.
Each question is one checkpointed ``assay.run`` on its own thread id, with every event folded into a
``LiveRun`` and handed to the view's ``notify`` callback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from assay.chat.live import LiveRun
from assay.context import RunContext
from assay.errors import AssayError, InputError
from assay.graphs.registry import get_recipe, graph_names
from assay.runtime import HumanReply, default_budget, default_context, make_task, new_thread_id, run
from assay.settings import Settings
from assay.state import Task

ContextFactory = Callable[[Settings, Task], AbstractAsyncContextManager[RunContext]]
Notify = Callable[[LiveRun, str], None]
AskHuman = Callable[[dict[str, Any]], Awaitable[HumanReply]]
BUDGET_FIELDS = {"calls": "max_calls", "tokens": "max_tokens", "seconds": "max_seconds"}


class ChatSession:
    """State shared by every view of ``assay chat``."""

    def __init__(self, settings: Settings, *, graph: str = "adaptive", human: bool = False,
                 context: ContextFactory | None = None) -> None:  # fmt: skip
        get_recipe(graph, human=human)
        self.settings, self.graph, self.human = settings, graph, human
        self.budget = default_budget(settings)
        self.context: ContextFactory = context or default_context
        self.runs: list[LiveRun] = []

    @property
    def last(self) -> LiveRun | None:
        return self.runs[-1] if self.runs else None

    def graphs(self) -> list[str]:
        """Recipe names, read from the registry each time (recipes may register while the session runs)."""
        return graph_names()

    def set_graph(self, name: str) -> None:
        get_recipe(name, human=self.human)
        self.graph = name

    def set_budget(self, name: str, value: str) -> None:
        """``/budget calls 20``: change one limit for the next runs."""
        if name not in BUDGET_FIELDS:
            raise InputError(f"unknown budget {name!r}; use one of: {', '.join(BUDGET_FIELDS)}")
        try:
            number = float(value) if name == "seconds" else int(value)
        except ValueError:
            raise InputError(f"budget {name} must be a number (got {value!r})") from None
        if number <= 0:
            raise InputError(f"budget {name} must be positive (got {value})")
        self.budget = self.budget.model_copy(update={BUDGET_FIELDS[name]: number})

    def new_run(self, question: str) -> LiveRun:
        """A ``LiveRun`` for ``question`` (an empty question is an ``InputError``), added to the history."""
        live = LiveRun(task=make_task(question), graph=self.graph, thread_id=new_thread_id(), budget=self.budget)
        self.runs.append(live)
        return live

    async def execute(self, live: LiveRun, notify: Notify, ask: AskHuman | None = None) -> None:
        """Run ``live`` to its end; failures are recorded on it (status, error), cancellation propagates."""

        def on_event(event: dict[str, Any]) -> None:
            changed = live.apply(event)
            if changed:
                notify(live, changed)

        try:
            async with self.context(self.settings, live.task) as ctx:
                state = await run(live.task, graph=live.graph, settings=self.settings, ctx=ctx,
                                  thread_id=live.thread_id, budget=live.budget, on_event=on_event,
                                  human=ask if self.human else None, stream_tokens=True)  # fmt: skip
            live.finish(state)
        except asyncio.CancelledError:
            live.status, live.active = "cancelled", None
            notify(live, "status")
            raise
        except AssayError as exc:
            live.status, live.error, live.active = "failed", f"{exc}; {exc.hint}" if exc.hint else str(exc), None
        notify(live, "status")
