"""The verifier registry: which tools check a candidate, keyed by task kind. Users add a kind or a tool.

    async def units(cand, state, ctx) -> list[Evidence]: ...      # or a plain (sync) function
    register_kind("physics"); register_verifier("physics", "units", units)
    register_verifier("code", "lint", lint)                        # runs next to the built-in tests

The built-in tools (tests for code, the arithmetic re-run for math, claim checks for QA: B1, B6, A7) run
through ``assay.agents.verifier``; ``replace=True`` drops them for that kind. ``verify`` is the node: every
tool of the task's kind on the current round's candidates that have no evidence from it yet, concurrently;
a tool that raises becomes undecided Evidence (``passed=None``), never a failed run.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assay.agents.verifier import verify as builtin_verify
from assay.context import RunContext
from assay.kit._nodes import Update, check_update
from assay.state import Candidate, Evidence, RunState

Check = Callable[[Candidate, RunState, RunContext], Awaitable[list[Evidence]] | list[Evidence]]


@dataclass(frozen=True)
class Tool:
    name: str
    check: Check


_TOOLS: dict[str, list[Tool]] = {}
_REPLACED: set[str] = set()


def register_verifier(kind: str, name: str, check: Check, *, replace: bool = False) -> None:
    """Add tool ``name`` for tasks of ``kind`` (a tool of that name is replaced); ``replace``: no built-ins."""
    _TOOLS[kind] = [t for t in _TOOLS.get(kind, []) if t.name != name] + [Tool(name, check)]
    if replace:
        _REPLACED.add(kind)


def unregister_verifier(kind: str, name: str) -> None:
    _TOOLS[kind] = [t for t in _TOOLS.get(kind, []) if t.name != name]
    if not _TOOLS[kind]:
        _REPLACED.discard(kind)


def verifiers(kind: str) -> list[str]:
    """The tools that check ``kind`` tasks (``builtin`` stands for assay's own tool of that kind)."""
    return ([] if kind in _REPLACED else ["builtin"]) + [t.name for t in _TOOLS.get(kind, [])]


async def _one(tool: Tool, cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    try:
        out = tool.check(cand, state, ctx)
        return list(await out) if inspect.isawaitable(out) else list(out)
    except Exception as exc:  # a broken tool is undecided evidence, never the end of the run
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return [Evidence(id=f"ev-{cand.id}-{tool.name}", candidate_id=cand.id, tool=tool.name, input="",
                         outcome=f"{tool.name} could not run: {error}"[:300], details={"error": error})]  # fmt: skip


async def _user_tools(state: RunState, ctx: RunContext) -> list[Evidence]:
    tools = _TOOLS.get(state.task.kind, [])
    if not tools:
        return []
    seen = {(e.candidate_id, e.tool) for e in state.evidence}
    jobs = [_one(t, c, state, ctx) for c in state.round_candidates() for t in tools if (c.id, t.name) not in seen]
    return [ev for group in await asyncio.gather(*jobs) for ev in group]


async def verify(state: RunState, ctx: RunContext) -> Update:
    """Node: evidence from every tool registered for the task's kind (built-in and user tools concurrently)."""
    builtin: Awaitable[Mapping[str, Any]] = _nothing() if state.task.kind in _REPLACED else builtin_verify(state, ctx)
    base, extra = await asyncio.gather(builtin, _user_tools(state, ctx))
    update = check_update("verify", base)
    if extra:
        update["evidence"] = [*update.get("evidence", []), *extra]
    return update


async def _nothing() -> Mapping[str, Any]:
    return {}
