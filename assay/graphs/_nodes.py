"""Adapter from assay node functions to LangGraph nodes.

Agents are plain ``async (state, ctx) -> partial update`` functions, easy to test without a graph. The
adapter gives each one what every graph needs: the ``RunContext`` from LangGraph's runtime context, the
wall time it took (added to ``elapsed_s``, which the time budget reads), live start/end events on the
``custom`` stream, and for LLM-calling nodes a budget check *before* any model call.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from langgraph.runtime import Runtime

from assay.context import RunContext
from assay.state import RunState

Update = dict[str, Any]
NodeFn = Callable[[RunState, RunContext], Awaitable[Update]]


class GraphNode(Protocol):
    """What LangGraph calls: the state plus its ``Runtime`` (which carries our ``RunContext``)."""

    def __call__(self, state: RunState, *, runtime: Runtime[RunContext]) -> Awaitable[Update]: ...


def budget_note(name: str, reason: str) -> str:
    return f"{name}: skipped, budget exhausted ({reason})"


def adapt(name: str, fn: NodeFn, *, uses_llm: bool = True) -> GraphNode:
    """Wrap ``fn`` as a LangGraph node named ``name``.

    With ``uses_llm`` the node does nothing (and says so in ``notes``) once the budget is exhausted. This
    is the invariant budgets rest on: an LLM node only starts while usage is below every limit, so a run
    overshoots a limit by at most the spend of the one node that crossed it.
    """

    async def node(state: RunState, *, runtime: Runtime[RunContext]) -> Update:
        if uses_llm and (reason := state.exhausted()):
            runtime.stream_writer({"node": name, "phase": "skipped", "reason": reason})
            return {"notes": [budget_note(name, reason)]}
        runtime.stream_writer({"node": name, "phase": "start", "round": state.round})
        start = time.perf_counter()
        update = dict(await fn(state, runtime.context))
        elapsed = time.perf_counter() - start
        update["elapsed_s"] = elapsed
        runtime.stream_writer({"node": name, "phase": "end", "elapsed_s": elapsed})
        return update

    node.__name__ = name
    node.__qualname__ = name
    return node
