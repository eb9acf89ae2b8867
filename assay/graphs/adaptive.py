"""The flagship recipe: solve, score, then aggregate easy problems and refine only the hard ones.

This is MAgICoRe's shape (D1): refining every answer flips right answers to wrong (A3, A4), so revision is
gated on measured signals. Easy problems (high sample agreement and reward) get a reward-weighted vote;
hard ones loop verify -> review -> refine -> verify -> score until confident, stalled, out of budget or out of rounds.
The loop keeps the whole candidate pool and returns the best-scored candidate, never blindly the last
revision (E1), and counts right/wrong flips of every revision when a reference is known (A3). The refiner
sees the round number so it can raise its temperature and avoid answers already tried (J1).

Every decision is a ``Route`` record carrying the signal values and thresholds it was made on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from assay.context import RunContext
from assay.graphs._nodes import GatedNode, GraphNode, NodeFn, Update, adapt, gated
from assay.graphs._select import AnswerKey, best_candidate, count_flips, improved, total, vote
from assay.settings import Settings
from assay.signals.confidence import answer_key
from assay.signals.scoring import refresh
from assay.state import Candidate, Route, RunState, StopReason

Graph = StateGraph[RunState, RunContext, RunState, RunState]
_NODES = ("solve", "score", "verify", "review", "refine")
CHEAP_TOOLS = frozenset({"code", "math"})  # kinds whose verifier is a fast sandbox run, not more model calls


def thresholds(settings: Settings, state: RunState) -> dict[str, float]:
    """Every threshold a routing decision can depend on, recorded with the decision."""
    b = state.budget
    return {
        "tau_agreement": settings.tau_agreement,
        "tau_reward": settings.tau_reward,
        "tau_confident": settings.tau_confident,
        "patience": settings.patience,
        "max_rounds": settings.max_rounds,
        "max_calls": b.max_calls,
        "max_tokens": b.max_tokens,
        "max_seconds": b.max_seconds,
    }


def usage_signals(state: RunState) -> dict[str, float | None]:
    return {"calls": state.usage.calls, "tokens": state.usage.total_tokens, "elapsed_s": state.elapsed_s}


def _answer_key(state: RunState) -> AnswerKey:
    kind, evidence = state.task.kind, state.evidence
    return lambda c: answer_key(c, kind, evidence)


def _stop(state: RunState, best: float, no_improve: int, settings: Settings) -> tuple[StopReason, str] | None:
    """Stop rules with the reason in words; ``max_rounds`` is only the safety net."""
    if limit := state.exhausted():
        return "budget", f"stop: {limit} budget exhausted"
    if best >= settings.tau_confident:
        return "confident", f"stop: confident, best total {best:.2f} >= {settings.tau_confident}"
    if no_improve >= settings.patience:
        return "no_improvement", f"stop: no improvement for {no_improve} round(s) (patience {settings.patience})"
    if state.round >= settings.max_rounds:
        return "max_rounds", f"stop: max_rounds {settings.max_rounds} reached"
    return None


def _easy(state: RunState, settings: Settings, signals: dict[str, float | None]) -> bool:
    """D1's difficulty label on the first round: agreement >= tau_a and reward >= tau_r, and no failing tool
    evidence against the vote's winner (external evidence beats agreement: B6, B7)."""
    result = vote(state.round_candidates(0), _answer_key(state))
    agreement = result.agreement if result.agreement is not None else result.share
    evidence = result.winner.scores.evidence if result.winner else None
    signals.update(agreement=agreement, reward=result.reward, vote_share=result.share, evidence=evidence)
    confident = result.reward is not None and result.reward >= settings.tau_reward
    return agreement >= settings.tau_agreement and confident and (evidence is None or evidence >= 1.0)


def decide(state: RunState, settings: Settings) -> Update:
    """The routing decision after scoring, as a state update with exactly one ``Route`` record."""
    best = best_candidate(state.candidates)
    best_total = total(best) if best else -1.0
    signals: dict[str, float | None] = {"best_total": best_total, "round": state.round, **usage_signals(state)}
    make = _route_maker(state, settings, signals)
    if state.round == 0 and _easy(state, settings, signals):
        why = f"easy: agreement {signals['agreement']:.2f} >= {settings.tau_agreement}, reward >= {settings.tau_reward}"
        return {"routes": [make("aggregate", why)], "best_id": _id(best)}
    no_improve = 0
    update: Update = {}
    if state.round > 0:
        up, new, old = improved(state.candidates, state.round)
        no_improve = 0 if up else state.no_improve + 1
        signals.update(round_best=new, earlier_best=old, no_improve=no_improve)
        update["flips"] = count_flips(state.candidates, state.round)
    stop = _stop(state, best_total, no_improve, settings)
    route = make("select", stop[1]) if stop else make(_hard_target(state), _hard_reason(state, settings, signals))
    update.update(routes=[route], no_improve=no_improve, best_id=_id(best))
    if stop:
        update["stopped_by"] = stop[0]
    return update


def _hard_target(state: RunState) -> str:
    """Verify before the review unless every candidate was verified already (after solve for cheap tools,
    after every refine)."""
    return "verify" if state.round == 0 and state.task.kind not in CHEAP_TOOLS else "review"


def _hard_reason(state: RunState, settings: Settings, signals: dict[str, float | None]) -> str:
    if state.round == 0:
        agreement, reward = signals.get("agreement") or 0.0, signals.get("reward")
        shown = "unmeasured" if reward is None else f"{reward:.2f}"
        return (
            f"hard: agreement {agreement:.2f} (tau {settings.tau_agreement}), reward {shown} "
            f"(tau {settings.tau_reward}): verify, review, refine"
        )
    return f"hard: improved to {signals['round_best']:.2f}, below {settings.tau_confident}: another round"


def _id(cand: Candidate | None) -> str | None:
    return cand.id if cand else None


def _route_maker(state: RunState, settings: Settings, signals: dict[str, float | None]) -> Callable[[str, str], Route]:
    def make(target: str, reason: str) -> Route:
        return Route(
            source="route",
            target=target,
            round=state.round,
            signals=dict(signals),
            thresholds=thresholds(settings, state),
            reason=reason,
        )

    return make


def _human_gate(state: RunState, update: Update) -> Update:
    """Ask a human before a refined answer replaces a solver answer as the best (H4, H5: pause and resume).

    ``interrupt()`` pauses the run; the caller resumes with ``{"approve": bool}`` (and ``"answer"``: an edit).
    Rejecting keeps the previous best and stops the run (``stopped_by="human"``).
    """
    old, new_id = state.best, update.get("best_id")
    if old is None or new_id is None or new_id == old.id or old.origin != "solver":
        return update
    new = state.candidate(new_id)
    if new.origin != "refiner":
        return update
    answer = interrupt({"question": state.task.question, "current": _brief(old), "proposed": _brief(new)})
    approve = bool(answer.get("approve")) if isinstance(answer, dict) else bool(answer)
    last: Route = update["routes"][-1]
    signals = {"current_total": old.scores.total, "proposed_total": new.scores.total}
    edited = str(answer.get("answer") or "").strip() if isinstance(answer, dict) else ""
    if approve and edited:  # the human's own answer: a child of the proposal, and the final answer
        cand = Candidate(id=f"r{state.round}-human-{len(state.candidates)}", text=edited, answer=edited,
                         origin="human", parent=new.id, round=state.round)  # fmt: skip
        human = Route(source="human", target="select", round=state.round, signals=signals, reason="human edited")
        return {**update, "candidates": [cand], "routes": [last, human], "best_id": cand.id, "stopped_by": "human"}
    if approve:
        human = Route(source="human", target=last.target, round=state.round, signals=signals, reason="human approved")
        return {**update, "routes": [last, human]}
    human = Route(source="human", target="select", round=state.round, signals=signals, reason="human rejected")
    return {**update, "routes": [last, human], "best_id": old.id, "stopped_by": "human"}


def _brief(cand: Candidate) -> dict[str, Any]:
    return {"id": cand.id, "origin": cand.origin, "answer": cand.answer, "total": cand.scores.total, "text": cand.text}


def _route_node(human: bool) -> NodeFn:
    async def route(state: RunState, ctx: RunContext) -> Update:
        update = decide(state, ctx.settings)
        return _human_gate(state, update) if human else update

    return route


async def aggregate(state: RunState, ctx: RunContext) -> Update:
    """Easy path: the best-scored candidate of the reward-weighted vote's winning answer group."""
    samples = state.round_candidates(0)
    result = vote(samples, _answer_key(state))
    winner = result.winner
    signals = {"vote_share": result.share, "weight_share": result.weight_share, "reward": result.reward}
    route = Route(
        source="aggregate",
        target=END,
        round=state.round,
        signals={**signals, "groups": result.groups, "winner_total": total(winner) if winner else None},
        reason=f"reward-weighted vote over {len(samples)} samples",
    )
    return {"routes": [route], **_final(winner), "stopped_by": "easy"}


async def select(state: RunState, ctx: RunContext) -> Update:
    """Stop path: the best-scored candidate of the whole pool (E1), or the human's choice."""
    routes: list[Route] = []
    stopped = state.stopped_by
    if stopped is None:  # reached through a budget gate between hard-path nodes
        stopped = "budget"
        reason = f"budget exhausted ({state.exhausted()}) inside round {state.round}"
        routes.append(Route(source="budget", target="select", round=state.round, signals=usage_signals(state),
                            thresholds=thresholds(ctx.settings, state), reason=reason))  # fmt: skip
    pool = _fresh_pool(state) if stopped == "budget" else state.candidates
    best = state.best if stopped == "human" else best_candidate(pool)
    signals = {"best_total": total(best) if best else None, "pool": len(pool)}
    reason = f"best so far: {best.id} ({best.origin}, round {best.round})" if best else "no candidate"
    routes.append(Route(source="select", target=END, round=state.round, signals=signals, reason=reason))
    return {"routes": routes, "candidates": pool, **_final(best), "stopped_by": stopped}


def _fresh_pool(state: RunState) -> list[Candidate]:
    """A budget stop can come between verify and the next score: fold the newest evidence into the totals of
    the scored candidates (no model calls), so the answer is never one the latest evidence contradicts."""
    scored = [c for c in state.candidates if c.scores.total is not None]
    fresh = {c.id: c for c in refresh(scored, state)}
    return [fresh.get(c.id, c) for c in state.candidates]


def _final(best: Candidate | None) -> Update:
    if best is None:
        return {"best_id": None, "answer": None}
    return {"best_id": best.id, "answer": best.answer if best.answer is not None else best.text}


def _next_round(refine: NodeFn) -> NodeFn:
    """The refiner works in a new round: its candidates carry ``round = state.round + 1``."""

    async def refine_round(state: RunState, ctx: RunContext) -> Update:
        nxt = state.round + 1
        update = await refine(state.model_copy(update={"round": nxt}), ctx)
        return {**update, "round": nxt}

    return refine_round


def _follow(node: GraphNode) -> GatedNode:
    """Go where the decision just recorded says (the last Route's target): the route is data, not code."""

    async def route(state: RunState, *, runtime: Runtime[RunContext]) -> Command[str]:
        update = await node(state, runtime=runtime)
        return Command(update=update, goto=update["routes"][-1].target)

    return route


def _after_solve(state: RunState) -> str:
    """Cheap, decisive tools (tests, re-run arithmetic) run before the first score, so even the easy path never
    ignores a failing test; costly ones (retrieval + claim judging) wait for the hard path."""
    return "verify" if state.task.kind in CHEAP_TOOLS else "score"


def _after_verify(state: RunState) -> str:
    """Verify ordered by the first route (costly tools, round 0) goes on to the review. After solve or refine
    it goes to score and so to the route: a refined candidate never wins on self-judgment alone, and every
    round meets the stop rules, even one that added no candidate (that looped verify -> review -> refine)."""
    return "review" if state.round == 0 and state.routes else "score"


def _default_nodes() -> dict[str, NodeFn]:
    from assay.agents.refiner import refine
    from assay.agents.reviewer import review
    from assay.agents.solver import solve
    from assay.agents.verifier import verify
    from assay.signals.scoring import score

    return {"solve": solve, "score": score, "verify": verify, "review": review, "refine": refine}


def build_adaptive(*, human: bool = False, **nodes: NodeFn) -> Graph:
    """The adaptive graph, uncompiled. Pass ``solve=``, ``score=``, ... to swap any node function.

    ``human=True`` pauses (``interrupt``) before a refined answer replaces a solver answer as the best.
    """
    unknown = set(nodes) - set(_NODES)
    if unknown:
        raise TypeError(f"unknown node(s) {sorted(unknown)}; expected some of {_NODES}")
    fns = {**(_default_nodes() if set(nodes) != set(_NODES) else {}), **nodes}
    g: Graph = StateGraph(RunState, context_schema=RunContext)
    g.add_node("solve", gated(adapt("solve", fns["solve"]), _after_solve), destinations=("verify", "score", "select"))
    g.add_node("score", adapt("score", fns["score"]))
    route = _follow(adapt("route", _route_node(human), uses_llm=False))
    g.add_node("route", route, destinations=("aggregate", "verify", "review", "select"))
    g.add_node("aggregate", adapt("aggregate", aggregate, uses_llm=False))
    verify = gated(adapt("verify", fns["verify"]), _after_verify)
    g.add_node("verify", verify, destinations=("review", "score", "select"))
    g.add_node("review", gated(adapt("review", fns["review"]), "refine"), destinations=("refine", "select"))
    refine = gated(adapt("refine", _next_round(fns["refine"])), "verify")
    g.add_node("refine", refine, destinations=("verify", "select"))
    g.add_node("select", adapt("select", select, uses_llm=False))
    g.add_edge(START, "solve")
    g.add_edge("score", "route")
    g.add_edge("aggregate", END)
    g.add_edge("select", END)
    return g
