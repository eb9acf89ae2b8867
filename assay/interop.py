"""assay's agents and signal-routing edges as plain nodes of *your* LangGraph ``StateGraph`` (no assay runtime).

Two ways to hold assay's state in your graph (docs/langgraph.md):

* your state **is** ``RunState`` (or a subclass): ``agent("solve")`` returns partial updates and LangGraph's
  reducers merge them, exactly as in assay's own recipes;
* your state is your own (a TypedDict, a pydantic model) with a ``RunState`` under one key: pass ``key="assay"``
  and each node reads ``state["assay"]``, merges its update with the same reducers and returns ``{"assay": new}``.
  ``start("question")`` turns a field of your state into that ``RunState``.

The ``RunContext`` (clients, settings, retriever) is bound when the node is made (``ctx=``) or, if not, taken
from the graph's runtime context (``graph.invoke(..., context=ctx)`` with ``context_schema=RunContext``). Agent
nodes keep assay's budget invariant: once the run's budget is spent they skip their model calls and say so.

Routing: ``edge(rule, yes, no)`` is a conditional edge on a measured signal (any ``assay.kit`` stop rule, e.g.
``Confident()``, ``Verified()``, ``Consensus()``, or a function of the ``RunState``); ``decide(stops, then)`` is a
node that records the decision as a ``Route`` (signals, thresholds, reason) and ``follow()`` the edge after it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from langgraph.runtime import Runtime
from pydantic import TypeAdapter

from assay.context import RunContext
from assay.kit import NodeFn, Progress, StopRule, Stops, check_update, finish, next_round, router
from assay.kit import best_so_far as _best_so_far
from assay.signals.select import best_candidate, total
from assay.state import Budget, RunState, Task


class Node(Protocol):
    """What LangGraph calls: your state, and its runtime (the context rides on it)."""

    def __call__(self, state: Any, *, runtime: Runtime[Any]) -> Awaitable[dict[str, Any]]: ...


Edge = Callable[[Any], str]
Rule = StopRule | Stops | Callable[[RunState], bool]
AGENTS = ("solve", "score", "verify", "review", "refine", "select")
_CALLS_LLM = frozenset({"solve", "score", "verify", "review", "refine"})


def _agent_fn(name: str) -> NodeFn:
    """The node function behind an agent name (imported on use: a graph pays only for what it uses)."""
    if name == "solve":
        from assay.agents.solver import solve

        return solve
    if name == "review":
        from assay.agents.reviewer import review

        return review
    if name == "refine":
        from assay.agents.refiner import refine

        return next_round(refine)  # a revision opens a new round, as in every assay recipe
    if name == "verify":
        from assay.kit import verify

        return verify
    if name == "score":
        from assay.kit import score

        return score
    if name == "select":
        return finish(_best_so_far)
    raise ValueError(f"unknown agent {name!r}; use one of {', '.join(AGENTS)} or pass a node function")


def merge(state: RunState, update: Mapping[str, Any]) -> RunState:
    """``state`` with a node's partial ``update`` applied through ``RunState``'s own reducers."""
    values = dict(state)
    for field, new in check_update("merge", update).items():
        info = RunState.model_fields[field]
        reducer = next((m for m in info.metadata if callable(m)), None)
        value = _adapter(field).validate_python(new)  # {"calls": 1} -> Usage, as LangGraph would
        values[field] = reducer(values[field], value) if reducer is not None else value
    return RunState.model_validate(values)


@functools.cache
def _adapter(field: str) -> TypeAdapter[Any]:
    annotation: Any = RunState.model_fields[field].annotation
    return TypeAdapter(annotation)


def _run_state(state: Any, key: str | None) -> RunState:
    value = state if key is None else (state[key] if isinstance(state, Mapping) else getattr(state, key))
    if isinstance(value, RunState):
        return value
    if isinstance(value, Mapping):
        return RunState.model_validate(value)
    where = "the graph state" if key is None else f"state[{key!r}]"
    raise TypeError(f"{where} is {type(value).__name__}, not an assay RunState (add a start() node first?)")


def _context(bound: RunContext | None, runtime: Runtime[Any]) -> RunContext:
    ctx = bound if bound is not None else getattr(runtime, "context", None)
    if not isinstance(ctx, RunContext):
        raise TypeError("no RunContext: pass agent(..., ctx=ctx) or invoke the graph with context=ctx")
    return ctx


def agent(name: str | NodeFn, *, ctx: RunContext | None = None, key: str | None = None,
          uses_llm: bool | None = None) -> Node:  # fmt: skip
    """A LangGraph node running one assay agent (``solve``, ``score``, ``verify``, ``review``, ``refine``,
    ``select``) or any ``async (RunState, RunContext) -> update`` function."""
    fn = _agent_fn(name) if isinstance(name, str) else name
    label = name if isinstance(name, str) else getattr(name, "__name__", "node")
    calls = uses_llm if uses_llm is not None else label in _CALLS_LLM or not isinstance(name, str)

    async def node(state: Any, *, runtime: Runtime[Any]) -> dict[str, Any]:
        run_state = _run_state(state, key)
        if calls and (reason := run_state.exhausted()):
            return _out(run_state, {"notes": [f"{label}: skipped, budget exhausted ({reason})"]}, key)
        began = time.perf_counter()
        update = dict(check_update(label, await fn(run_state, _context(ctx, runtime))))
        update["elapsed_s"] = time.perf_counter() - began  # the time budget reads the summed node times
        return _out(run_state, update, key)

    node.__name__ = label
    return node


def _out(state: RunState, update: dict[str, Any], key: str | None) -> dict[str, Any]:
    return update if key is None else {key: merge(state, update)}


def start(question: str = "question", *, key: str = "assay", kind: str | None = None,
          budget: Budget | None = None) -> Callable[[Any], dict[str, Any]]:  # fmt: skip
    """A node that builds the ``RunState`` under ``key`` from your state's ``question`` field."""

    def begin(state: Any) -> dict[str, Any]:
        text = state[question] if isinstance(state, Mapping) else getattr(state, question)
        from assay.agents.kind import detect_kind

        task = Task(question=text, kind=kind or detect_kind(text))
        return {key: RunState(task=task, budget=budget or Budget())}

    return begin


def _holds(rule: Rule, state: RunState, ctx: RunContext | None) -> bool:
    if not isinstance(rule, Stops) and not hasattr(rule, "check"):
        return bool(rule(state))
    if ctx is None:
        from assay.settings import Settings

        settings = Settings()
    else:
        settings = ctx.settings
    best = best_candidate(state.candidates)
    progress = Progress(state.round, total(best) if best else -1.0, state.no_improve)
    if isinstance(rule, Stops):
        return rule.first(state, progress, settings) is not None
    return rule.check(state, progress, settings) is not None


def edge(rule: Rule, yes: str, no: str, *, key: str | None = None, ctx: RunContext | None = None) -> Edge:
    """A conditional edge: ``yes`` when ``rule`` holds on the measured signals, else ``no``.

    ``rule`` is a stop rule (``assay.kit.Confident()``, ``Verified()``, ``Consensus()``, ``Patience()``, ...),
    several of them (``Stops(BudgetLimit(), Confident())``: any one holds), read against ``ctx``'s settings
    (default settings without one), or any ``RunState -> bool``. A loop closed with an edge should include
    ``BudgetLimit()`` and ``MaxRounds()``: the edge records nothing, so prefer ``decide`` for auditable loops.
    """

    def route(state: Any) -> str:
        return yes if _holds(rule, _run_state(state, key), ctx) else no

    return route


def decide(stops: Stops, then: str, *, finish_at: str = "select", ctx: RunContext | None = None,
           key: str | None = None) -> Node:  # fmt: skip
    """A routing node: the first stop rule that fires goes to ``finish_at``, else ``then``; one ``Route`` record
    (signals, thresholds, reason) per decision. Follow it with ``add_conditional_edges(name, follow())``."""
    return agent(router(stops, then, finish=finish_at), ctx=ctx, key=key, uses_llm=False)


def follow(*, key: str | None = None) -> Edge:
    """The edge after ``decide``: go where the last ``Route`` says."""

    def route(state: Any) -> str:
        routes = _run_state(state, key).routes
        if not routes:
            raise ValueError("follow(): no Route recorded yet; put a decide() node before this edge")
        return routes[-1].target

    return route
