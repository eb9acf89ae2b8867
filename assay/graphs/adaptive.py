"""The flagship recipe: solve, score, then aggregate easy problems and refine only the hard ones (D1).

It starts with ONE greedy answer (temperature 0) and its tools: a decisive tool confirmation (tests pass, the
question's arithmetic computes it) or, for QA, supporting evidence nothing contradicts, ends the run at greedy
cost. Only otherwise does it sample the other ``samples - 1`` answers (``probe``: the decision is a Route).

This is MAgICoRe's shape (D1): refining every answer flips right answers to wrong (A3, A4), so revision is
gated on measured signals. Easy problems (high sample agreement and reward) get a reward-weighted vote; hard
ones of a costly-tool kind (QA) verify first and are scored again before any review, then loop review ->
refine -> verify -> score until confident, stalled, out of budget or out of rounds. Code and math, whose tools
are decisive, are revised only while a tool refutes the best candidate (``kit.Unguided``, B1): failing tests or
a wrong stated calculation give the refiner something to act on; self-critique alone does not (A3, A4). QA
stops after its first revision round, the one that reads the retrieved passages (``kit.ReadOnce``).
The loop keeps the whole candidate pool and returns the best-scored candidate, never blindly the last revision
(E1), and counts right/wrong flips of every revision when a reference is known (A3). The refiner sees the round
number so it can raise its temperature and avoid answers already tried (J1).

Every decision is a ``Route`` record carrying the signal values and thresholds it was made on.
"""

from __future__ import annotations

from dataclasses import dataclass

from assay import kit
from assay.kit import Choice, Flow, Graph, NodeFn, Signals
from assay.settings import Settings
from assay.signals.confidence import answer_key
from assay.signals.scoring import Weights, refresh
from assay.signals.select import vote
from assay.state import BUDGET, EASY, HUMAN, Candidate, RunState

CONFIRMED = "confirmed"

_NODES = ("solve", "score", "verify", "review", "refine")
CHEAP_TOOLS = frozenset({"code", "math"})  # kinds whose verifier is a fast sandbox run, not more model calls
TOOL_KINDS = frozenset({"code", "math", "qa"})  # kinds with a built-in verifier


@dataclass(frozen=True)
class Easy:
    """D1's difficulty label on the first round: agreement >= tau_a and reward >= tau_r, and no failing tool
    evidence against the vote's winner (external evidence beats agreement: B6, B7)."""

    reason: str = EASY

    def check(self, state: RunState, settings: Settings, signals: Signals) -> tuple[str, str] | None:
        kind, evidence = state.task.kind, state.evidence
        result = vote(state.round_candidates(0), lambda c: answer_key(c, kind, evidence))
        agreement = result.agreement if result.agreement is not None else result.share
        tool = result.winner.scores.evidence if result.winner else None
        signals.update(agreement=agreement, reward=result.reward, vote_share=result.share, evidence=tool)
        confident = result.reward is not None and result.reward >= settings.tau_reward
        if agreement >= settings.tau_agreement and confident and (tool is None or tool >= 1.0):
            return "aggregate", (
                f"easy: agreement {agreement:.2f} >= {settings.tau_agreement}, reward >= {settings.tau_reward}"
            )
        return None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"tau_agreement": settings.tau_agreement, "tau_reward": settings.tau_reward}


def _has_tools(kind: str) -> bool:
    """A verify step has something to run: a built-in tool (code, math, QA) or a user tool for the kind."""
    return kind in TOOL_KINDS or any(name != "builtin" for name in kit.verifiers(kind))


def _verified_this_round(state: RunState) -> bool:
    return any(r.source == "route" and r.target == "verify" and r.round == state.round for r in state.routes)


def _hard_target(state: RunState) -> str:
    """Round 0 of a kind with costly tools (QA's fact check) verifies first (verify -> score -> route), so the
    evidence is seen before a round is spent on review and refine; every other hard route goes to review
    (cheap tools ran after solve, and every refine is verified before it is scored)."""
    if state.round == 0 and state.task.kind not in CHEAP_TOOLS and _has_tools(state.task.kind):
        return "review" if _verified_this_round(state) else "verify"
    return "review"


def _next_steps(state: RunState, target: str) -> str:
    if target == "verify":
        return "verify, score, route again"
    return "review, refine, verify, score" if _has_tools(state.task.kind) else "review, refine, score"


def _hard_reason(state: RunState, settings: Settings, signals: Signals) -> str:
    steps = _next_steps(state, _hard_target(state))
    if state.round == 0:
        agreement, reward = signals.get("agreement") or 0.0, signals.get("reward")
        shown = "unmeasured" if reward is None else f"{reward:.2f}"
        return (
            f"hard: agreement {agreement:.2f} (tau {settings.tau_agreement}), reward {shown} "
            f"(tau {settings.tau_reward}): {steps}"
        )
    new, old = signals.get("round_best") or 0.0, signals.get("earlier_best") or 0.0
    stalled = signals.get("no_improve") or 0.0
    if new > old:
        return f"hard: improved to {new:.2f} (from {old:.2f}), below {settings.tau_confident}: another round: {steps}"
    return (
        f"hard: no improvement: round best {new:.2f} <= earlier best {old:.2f} ({stalled:.0f} "
        f"of patience {settings.patience}): another round: {steps}"
    )


decide = kit.router(kit.DEFAULT_STOPS | kit.Unguided() | kit.ReadOnce(), _hard_target, gate=Easy(), why=_hard_reason)
aggregate = kit.finish(kit.weighted_vote(kit.first_round), reason=EASY, source="aggregate")


def pick(state: RunState) -> Choice:
    """The selector: the vote on the easy path, the human's choice after a rejection, else the best so far,
    with the greedy answer kept unless a sample clearly beats it (``kit.keep_greedy``, where configured)."""
    if state.stopped_by == EASY:
        return kit.weighted_vote(kit.first_round)(state)
    if state.stopped_by == HUMAN and state.best is not None:
        return Choice(state.best, {"best_total": state.best.scores.total}, f"kept by the human: {state.best.id}")
    return kit.keep_greedy(kit.best_so_far)(state)


def _fresh_pool(state: RunState, settings: Settings) -> list[Candidate]:
    """A budget stop can come between verify and the next score: fold the newest evidence into the totals of
    the scored candidates (no model calls), so the answer is never one the latest evidence contradicts."""
    if state.stopped_by not in (None, BUDGET):
        return state.candidates
    scored = [c for c in state.candidates if c.scores.total is not None]
    fresh = {c.id: c for c in refresh(scored, state, Weights.from_settings(settings))}
    return [fresh.get(c.id, c) for c in state.candidates]


select = kit.finish(pick, reason=BUDGET, prepare=_fresh_pool)


def _after_solve(state: RunState) -> str:
    """Cheap, decisive tools (tests, re-run arithmetic) run before the first score, so even the easy path never
    ignores a failing test. The greedy answer of any kind with a tool is verified before the probe, which
    accepts only on evidence; the wider samples of a costly-tool kind (QA) wait for the hard path."""
    if state.task.kind in CHEAP_TOOLS or (kit.greedy_only(state) and _has_tools(state.task.kind)):
        return "verify"
    return "probe" if kit.greedy_only(state) else "score"


def _after_verify(state: RunState) -> str:
    """Verify always goes on to score and so to the route (the greedy answer's verify: to the probe): evidence
    is seen before a round is spent on review, a refined candidate never wins on self-judgment alone, and
    every round meets the stop rules, even one that added no candidate."""
    return "probe" if kit.greedy_only(state) else "score"


def _after_refine(state: RunState) -> str:
    return "verify" if _has_tools(state.task.kind) else "score"


def _default_nodes() -> dict[str, NodeFn]:
    from assay.agents.refiner import refine
    from assay.agents.reviewer import review
    from assay.agents.solver import solve

    return {"solve": solve, "score": kit.score, "verify": kit.verify, "review": review, "refine": refine}


def build_adaptive(*, human: bool = False, **nodes: NodeFn) -> Graph:
    """The adaptive graph, uncompiled. Pass ``solve=``, ``score=``, ... to swap any node function.

    ``human=True`` pauses (``interrupt``) before a refined answer replaces a solver answer as the best.
    """
    unknown = set(nodes) - set(_NODES)
    if unknown:
        raise TypeError(f"unknown node(s) {sorted(unknown)}; expected some of {_NODES}")
    fns = {**(_default_nodes() if set(nodes) != set(_NODES) else {}), **nodes}
    f = Flow()
    f.step("solve", kit.with_settings(fns["solve"], samples=1, temperature=0.0), _after_solve,
           to=("verify", "probe", "score"))  # fmt: skip
    f.route("probe", kit.probe, to=("aggregate", "widen", "score"))
    f.step("widen", kit.widen(fns["solve"]), _after_solve, to=("verify", "score"))
    f.plain("score", fns["score"], "route")
    f.route("route", kit.with_human(decide) if human else decide, to=("aggregate", "verify", "review", "select"))
    f.finish("aggregate", aggregate)
    verify = kit.with_settings(fns["verify"], self_tests=kit.greedy_self_tests)  # none for the lone greedy answer
    f.step("verify", verify, _after_verify, to=("probe", "score"))
    f.step("review", fns["review"], "refine")
    f.step("refine", kit.next_round(fns["refine"]), _after_refine, to=("verify", "score"))
    f.finish("select", select)
    return f.start("solve")


RECIPE = kit.Recipe(
    "adaptive",
    build_adaptive,
    "solve, run cheap tools, score; easy: reward-weighted vote; hard: review, refine, verify, re-score; best so far",
    papers=("D1", "E1", "A3"),
    supports_human=True,
    selector=pick,
    resume_at="score",  # scores what the cut-short round added (nothing: no model call), then routes again
)
