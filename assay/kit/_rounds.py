"""Rounds: the routing decision after a scoring pass, the round counter, the human gate.

``router`` is the loop every recipe shares: measure progress (best total, no-improvement count, flips of this
round's revisions against their parents, A3), apply an optional first-round gate (adaptive's easy/hard label,
D1), then the stop rules, else go on. Exactly one ``Route`` record per decision, with every signal and
threshold it read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from langgraph.types import interrupt

from assay.agents.repair import REPAIR
from assay.context import RunContext
from assay.kit._nodes import Next, NodeFn, Update, check_update
from assay.kit._stops import Progress, Stops
from assay.settings import Settings
from assay.signals.confidence import answer_key
from assay.signals.select import best_candidate, count_flips, improved, total
from assay.state import HUMAN, REFINER, SOLVER, Candidate, Route, RunState

Signals = dict[str, float | None]
REVISIONS = frozenset({REFINER, REPAIR})  # origins of rewrites the human gate asks about (model or tool-driven)
Why = Callable[[RunState, Settings, Signals], str]


class Gate(Protocol):
    """A first-round decision (e.g. "easy: aggregate"): ``(target, reason)`` or None; may add to ``signals``.
    A gate that sends the run straight to the finish node sets ``stopped_by`` to its ``reason``."""

    @property
    def reason(self) -> str: ...

    def check(self, state: RunState, settings: Settings, signals: Signals) -> tuple[str, str] | None: ...

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]: ...


def usage_signals(state: RunState) -> Signals:
    return {"calls": state.usage.calls, "tokens": state.usage.total_tokens, "elapsed_s": state.elapsed_s}


def progress(state: RunState, best_total: float, signals: Signals) -> tuple[Progress, Update]:
    """No-improvement count and flips of the current round (nothing to compare in round 0)."""
    if state.round == 0:
        return Progress(0, best_total, 0), {}
    kind, evidence = state.task.kind, state.evidence
    up, new, old = improved(state.candidates, state.round, key=lambda c: answer_key(c, kind, evidence))
    no_improve = 0 if up else state.no_improve + 1
    signals.update(round_best=new, earlier_best=old, no_improve=no_improve)
    return Progress(state.round, best_total, no_improve), {"flips": count_flips(state.candidates, state.round)}


def _go_on(state: RunState, settings: Settings, signals: Signals) -> str:
    return f"go on: best total {signals['best_total']:.2f}, no stop rule met"


def router(stops: Stops, then: Next, *, gate: Gate | None = None, why: Why = _go_on, finish: str = "select",
           source: str = "route") -> NodeFn:  # fmt: skip
    """A routing node function: gate (round 0), stop rules, else ``then``. Follow it with ``kit.follow``."""

    async def route(state: RunState, ctx: RunContext) -> Update:
        settings = ctx.settings
        best = best_candidate(state.candidates)
        signals: Signals = {"best_total": total(best) if best else -1.0, "round": state.round, **usage_signals(state)}
        limits = {**(gate.thresholds(state, settings) if gate else {}), **stops.thresholds(state, settings)}

        def make(target: str, reason: str) -> Route:
            return Route(source=source, target=target, round=state.round, signals=dict(signals), thresholds=limits,
                         reason=reason)  # fmt: skip

        best_id = best.id if best else None
        if gate is not None and state.round == 0 and (hit := gate.check(state, settings, signals)):
            gated: Update = {"routes": [make(*hit)], "best_id": best_id}
            return {**gated, "stopped_by": gate.reason} if hit[0] == finish else gated
        p, update = progress(state, float(signals["best_total"] or -1.0), signals)
        stop = stops.first(state, p, settings)
        target = finish if stop else (then(state) if callable(then) else then)
        update["routes"] = [make(target, stop.text if stop else why(state, settings, signals))]
        update["no_improve"], update["best_id"] = p.no_improve, best_id
        if stop:
            update["stopped_by"] = stop.reason
        return update

    return route


def next_round(fn: NodeFn) -> NodeFn:
    """``fn`` works in a new round: what it adds carries ``round = state.round + 1``."""

    async def in_next_round(state: RunState, ctx: RunContext) -> Mapping[str, Any]:
        nxt = state.round + 1
        update = await fn(state.model_copy(update={"round": nxt}), ctx)
        return {**update, "round": nxt}

    return in_next_round


def brief(cand: Candidate) -> dict[str, Any]:
    return {"id": cand.id, "origin": cand.origin, "answer": cand.answer, "total": cand.scores.total, "text": cand.text}


def human_gate(state: RunState, update: Update, *, finish: str = "select") -> Update:
    """Ask a human before a revision (a refiner's or a tool-driven repair) replaces a solver answer as the best
    (H4, H5: pause and resume).

    ``interrupt()`` pauses the run; the caller resumes with ``{"approve": bool}`` (and ``"answer"``: an edit).
    Rejecting keeps the previous best and stops the run (``stopped_by="human"``).
    """
    old, new_id = state.best, update.get("best_id")
    if old is None or new_id is None or new_id == old.id or old.origin != SOLVER:
        return update
    new = state.candidate(new_id)
    if new.origin not in REVISIONS:
        return update
    answer = interrupt({"question": state.task.question, "current": brief(old), "proposed": brief(new)})
    approve = bool(answer.get("approve")) if isinstance(answer, dict) else bool(answer)
    last = update["routes"][-1]
    signals: Signals = {"current_total": old.scores.total, "proposed_total": new.scores.total}
    edited = str(answer.get("answer") or "").strip() if isinstance(answer, dict) else ""
    if approve and edited:  # the human's own answer: a child of the proposal, and the final answer
        return {**update, **_human_edit(state, new, edited, last, signals, finish)}
    target, reason = (last.target, "human approved") if approve else (finish, "human rejected")
    human = Route(source=HUMAN, target=target, round=state.round, signals=signals, reason=reason)
    if approve:
        return {**update, "routes": [last, human]}
    return {**update, "routes": [last, human], "best_id": old.id, "stopped_by": HUMAN}


def _human_edit(state: RunState, proposed: Candidate, text: str, last: Route, signals: Signals, finish: str) -> Update:
    """An approval carrying ``"answer"`` (``assay chat --human``: edit): a ``human`` candidate that ends the run."""
    cand = Candidate(id=f"r{state.round}-human-{len(state.candidates)}", text=text, answer=text, origin=HUMAN,
                     parent=proposed.id, round=state.round)  # fmt: skip
    human = Route(source=HUMAN, target=finish, round=state.round, signals=signals, reason="human edited")
    return {"candidates": [cand], "routes": [last, human], "best_id": cand.id, "stopped_by": HUMAN}


def with_human(fn: NodeFn) -> NodeFn:
    """A routing node function whose decisions pass ``human_gate``."""

    async def route(state: RunState, ctx: RunContext) -> Update:
        return human_gate(state, check_update("route", await fn(state, ctx)))

    return route
