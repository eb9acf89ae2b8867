"""Selectors pick the final answer from the pool; ``finish`` turns one into the last node of a recipe.

A selector is a plain function of the state returning a ``Choice`` (winner, the signals it decided on, why),
so the property "the final answer is the one the recipe's selector picks" is checkable on any final state.
Selection keeps the best so far, never blindly the last revision (E1), except in ``latest``, the ungated
self-refine baseline (A4), which exists to show what that costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langgraph.graph import END

from assay.context import RunContext
from assay.kit._nodes import NodeFn, Update
from assay.kit._rounds import Signals, usage_signals
from assay.kit._stops import BudgetLimit
from assay.settings import Settings
from assay.signals.confidence import answer_key
from assay.signals.select import Weight, reward_weight, total, unit_weight, vote
from assay.state import BUDGET, Candidate, Route, RunState


@dataclass(frozen=True)
class Choice:
    winner: Candidate | None
    signals: Signals = field(default_factory=dict)
    reason: str = ""


Selector = Callable[[RunState], Choice]
Key = Callable[[Candidate], float]
Pool = Callable[[RunState], Sequence[Candidate]]


def whole_pool(state: RunState) -> Sequence[Candidate]:
    return state.candidates


def first_round(state: RunState) -> Sequence[Candidate]:
    return state.round_candidates(0)


def last_round(state: RunState) -> Sequence[Candidate]:
    return [c for c in state.candidates if c.round == max(x.round for x in state.candidates)]


def reward(cand: Candidate) -> float:
    return cand.scores.reward if cand.scores.reward is not None else -1.0


def best_of(key: Key = total, pool: Pool = whole_pool, label: str = "total") -> Selector:
    """The highest ``key`` of the pool; ties go to the earlier candidate (a revision must beat its parent)."""

    def select(state: RunState) -> Choice:
        cands = pool(state)
        best: Candidate | None = None
        for cand in cands:
            if best is None or key(cand) > key(best):
                best = cand
        reason = f"best {label} of {len(cands)}: {best.id} ({best.origin}, round {best.round})" if best else "none"
        return Choice(best, {f"best_{label}": key(best) if best else None, "pool": len(cands)}, reason)

    return select


def voted(weight: Weight = unit_weight, pool: Pool = whole_pool, label: str = "majority vote") -> Selector:
    """Vote over normalised answers (G10 with ``unit_weight``; reward-weighted with ``reward_weight``, E14)."""

    def select(state: RunState) -> Choice:
        cands = pool(state)
        kind, evidence = state.task.kind, state.evidence
        result = vote(cands, lambda c: answer_key(c, kind, evidence), weight)
        winner = result.winner
        signals: Signals = {"vote_share": result.share, "weight_share": result.weight_share, "reward": result.reward,
                            "groups": result.groups, "winner_total": total(winner) if winner else None}  # fmt: skip
        return Choice(winner, signals, f"{label} over {len(cands)} samples")

    return select


def weighted_vote(pool: Pool = whole_pool) -> Selector:
    return voted(reward_weight, pool, "reward-weighted vote")


def latest(state: RunState) -> Choice:
    """The newest candidate (highest round, last added): what an ungated refine loop returns."""
    if not state.candidates:
        return Choice(None, {"pool": 0}, "no candidate")
    newest = max(enumerate(state.candidates), key=lambda ic: (ic[1].round, ic[0]))[1]
    return Choice(newest, {"pool": len(state.candidates)}, f"latest revision: {newest.id} (round {newest.round})")


def final(best: Candidate | None) -> Update:
    if best is None:
        return {"best_id": None, "answer": None}
    return {"best_id": best.id, "answer": best.answer if best.answer is not None else best.text}


Prepare = Callable[[RunState, Settings], list[Candidate]]  # the settings carry the scoring weights


def finish(select: Selector, *, reason: str | None = None, source: str = "select",
           prepare: Prepare | None = None) -> NodeFn:  # fmt: skip
    """The last node: apply ``select`` and set ``answer``, ``best_id`` and ``stopped_by`` with one Route.

    ``stopped_by`` is the stop a router recorded; else ``reason``; else ``"budget"`` when the budget is spent
    (a gate cut the recipe short, recorded as a budget Route) or ``"done"``. ``prepare`` may rewrite the pool
    first (e.g. fold the newest evidence into the totals, no model calls); the rewritten pool is stored.
    """

    async def finish_node(state: RunState, ctx: RunContext) -> Update:
        routes: list[Route] = []
        stopped = state.stopped_by or reason or (BUDGET if state.exhausted() else "done")
        if state.stopped_by is None and stopped == BUDGET:
            why = f"budget exhausted ({state.exhausted()}) inside round {state.round}"
            routes.append(Route(source="budget", target=source, round=state.round, signals=usage_signals(state),
                                thresholds=BudgetLimit().thresholds(state, ctx.settings), reason=why))  # fmt: skip
        update: Update = {}
        if prepare is not None:
            update["candidates"] = pool = prepare(state, ctx.settings)
            state = state.model_copy(update={"candidates": pool})
        choice = select(state)
        routes.append(Route(source=source, target=END, round=state.round, signals=choice.signals,
                            reason=choice.reason))  # fmt: skip
        return {**update, "routes": routes, **final(choice.winner), "stopped_by": stopped}

    return finish_node


def best_so_far(state: RunState) -> Choice:
    """E1's rule as a one-liner selector: the best total of the whole pool."""
    return best_of()(state)
