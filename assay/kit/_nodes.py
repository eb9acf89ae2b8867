"""Budget-gated nodes with typed partial updates: the adapter from plain node functions to LangGraph nodes.

A node function is ``async (state, ctx) -> partial update``, easy to test without a graph. ``adapt`` gives it
what every graph needs: the ``RunContext`` from LangGraph's runtime context, a budget check *before* any model
call, the wall time it took (added to ``elapsed_s``, which the time budget reads), live start/end events on
the ``custom`` stream, model calls capped by the run's time left (``assay.llm.deadline``), and a check that the
update only names state fields (``{"candidate": ...}`` fails with a clear error instead of being dropped).
``Update`` is the typed form recipes write updates in.
"""

from __future__ import annotations

import difflib
import operator
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol, TypedDict, cast

from langgraph.runtime import Runtime
from langgraph.types import Command

from assay.context import RunContext
from assay.errors import LLMTimeout
from assay.llm.deadline import call_deadline
from assay.llm.types import Usage
from assay.settings import Settings
from assay.state import Candidate, Evidence, Flips, Review, Route, RunState, merge_by_id, merge_extra


class Update(TypedDict, total=False):
    """The fields a node may update (a typo in a key is a type error, and a runtime error in ``adapt``)."""

    candidates: list[Candidate]
    evidence: list[Evidence]
    reviews: list[Review]
    routes: list[Route]
    usage: Usage
    elapsed_s: float
    flips: Flips
    round: int
    no_improve: int
    best_id: str | None
    answer: str | None
    stopped_by: str | None
    notes: list[str]
    extra: dict[str, Any]


UPDATE_KEYS = frozenset(Update.__optional_keys__ | Update.__required_keys__)
NodeFn = Callable[[RunState, RunContext], Awaitable[Mapping[str, Any]]]


class UpdateError(TypeError):
    """A node returned a key that is not a state field."""


class GraphNode(Protocol):
    """What LangGraph calls: the state plus its ``Runtime`` (which carries our ``RunContext``)."""

    def __call__(self, state: RunState, *, runtime: Runtime[RunContext]) -> Awaitable[Update]: ...


class GatedNode(Protocol):
    """A node that also picks the next node (``Command(goto=...)``)."""

    def __call__(self, state: RunState, *, runtime: Runtime[RunContext]) -> Awaitable[Command[str]]: ...


def check_update(name: str, update: Mapping[str, Any]) -> Update:
    """``update`` as an ``Update``; a key that is no state field raises ``UpdateError`` naming the near miss."""
    unknown = update.keys() - UPDATE_KEYS
    if unknown:
        hints = [f"{k!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, UPDATE_KEYS, 1)) else repr(k)
                 for k in sorted(unknown)]  # fmt: skip
        raise UpdateError(f"node {name!r} returned unknown state key(s) {', '.join(hints)}")
    return cast(Update, dict(update))


def budget_note(name: str, reason: str) -> str:
    return f"{name}: skipped, budget exhausted ({reason})"


def adapt(name: str, fn: NodeFn, *, uses_llm: bool = True) -> GraphNode:
    """Wrap ``fn`` as a LangGraph node named ``name``.

    With ``uses_llm`` the node does nothing (and says so in ``notes``) once the budget is exhausted. This
    is the invariant budgets rest on: an LLM node only starts while usage is below every limit, so a run
    overshoots a limit by at most the spend of the one node (or one fan-out step) that crossed it.
    """

    async def node(state: RunState, *, runtime: Runtime[RunContext]) -> Update:
        if uses_llm and (reason := state.exhausted()):
            runtime.stream_writer({"node": name, "phase": "skipped", "reason": reason})
            return {"notes": [budget_note(name, reason)]}
        runtime.stream_writer({"node": name, "phase": "start", "round": state.round})
        start = time.perf_counter()
        update = await _call(name, fn, state, runtime.context, uses_llm)
        elapsed = time.perf_counter() - start
        update["elapsed_s"] = elapsed
        runtime.stream_writer({"node": name, "phase": "end", "elapsed_s": elapsed})
        return update

    node.__name__ = name
    node.__qualname__ = name
    return node


async def _call(name: str, fn: NodeFn, state: RunState, ctx: RunContext, uses_llm: bool) -> Update:
    """Run ``fn``; an LLM node's model calls are capped by the run's time left (``call_deadline``). When that
    cap is what stopped a call, the node records it and returns: the time budget then ends the run."""
    if not uses_llm:
        return check_update(name, await fn(state, ctx))
    left = state.budget.max_seconds - state.elapsed_s
    start = time.perf_counter()
    try:
        with call_deadline(left):
            return check_update(name, await fn(state, ctx))
    except LLMTimeout as exc:
        if time.perf_counter() - start < left - 0.01:  # the client's own timeout, not the run's: a real failure
            raise
        return {"notes": [f"{name}: stopped, the run's time budget ran out ({exc})"]}


Next = str | Callable[[RunState], str]


def gated(node: GraphNode, nxt: Next, stop: str = "select") -> GatedNode:
    """Go on to ``nxt`` (a node name, or a function of the state with this node's update applied) unless
    this node's own spend exhausted the budget, then to ``stop``.

    Deciding inside the node (``Command(goto=...)``) instead of with a conditional edge saves LangGraph a
    branch evaluation and a state coercion per step (measured: ~15% of orchestration time).
    """

    async def step(state: RunState, *, runtime: Runtime[RunContext]) -> Command[str]:
        update = await node(state, runtime=runtime)
        usage = state.usage + Usage.model_validate(update.get("usage") or {})
        elapsed = state.elapsed_s + float(update.get("elapsed_s", 0.0))
        if state.budget.exhausted(usage, elapsed):
            return Command(update=update, goto=stop)
        return Command(update=update, goto=nxt(merged(state, update)) if callable(nxt) else nxt)

    step.__name__ = getattr(node, "__name__", "gated")
    return step


def follow(node: GraphNode) -> GatedNode:
    """Go where the decision just recorded says (the last Route's target): the route is data, not code."""

    async def route(state: RunState, *, runtime: Runtime[RunContext]) -> Command[str]:
        update = await node(state, runtime=runtime)
        return Command(update=update, goto=update["routes"][-1].target)

    return route


Setting = Any | Callable[[RunState, Settings], Any]


def with_settings(fn: NodeFn, **overrides: Setting) -> NodeFn:
    """``fn`` run with some settings replaced, e.g. ``with_settings(solve, samples=1, temperature=0.0)``.

    A value may be a function of ``(state, settings)``. This is how a recipe picks its own sample counts and
    temperatures without new settings fields: the agents read them from ``ctx.settings`` as usual.
    """
    unknown = set(overrides) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"unknown setting(s) {sorted(unknown)}")

    async def run(state: RunState, ctx: RunContext) -> Mapping[str, Any]:
        values = {k: v(state, ctx.settings) if callable(v) else v for k, v in overrides.items()}
        return await fn(state, replace(ctx, settings=ctx.settings.updated(values)))

    return run


_MERGE: dict[str, Callable[[Any, Any], Any]] = {
    "candidates": merge_by_id, "evidence": merge_by_id, "reviews": merge_by_id, "routes": operator.add,
    "notes": operator.add, "usage": operator.add, "elapsed_s": operator.add, "flips": operator.add,
    "extra": merge_extra,
}  # fmt: skip


def merged(state: RunState, update: Mapping[str, Any]) -> RunState:
    """The state as it will be after ``update`` (reducers applied): for decisions on a node's own output."""
    values = {k: _MERGE[k](getattr(state, k), v) if k in _MERGE else v for k, v in update.items()}
    return state.model_copy(update=values)
