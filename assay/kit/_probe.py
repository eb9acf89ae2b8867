"""Greedy first: one temperature-0 answer, and more samples only when its signals call for them.

``probe`` is a routing node after the greedy answer and its cheap tool checks. It accepts the answer (goes
to ``ACCEPT``, the recipe's easy-path aggregate, with the answer's total tallied from its evidence at no model
cost) when a decisive tool confirms it (tests pass), or when its logprob confidence reaches ``tau_confident``
and a tool checked it without refuting it (a kind without tools needs only the confidence); otherwise it goes
to ``widen``, which samples the other ``samples - 1`` answers at the sampling temperature. Failing evidence
always widens; a confident QA answer no tool has checked yet is widened too (confident mistakes are common).
The decision is a ``Route`` record.
"""

from __future__ import annotations

from assay.context import RunContext
from assay.kit._nodes import NodeFn, Update, with_settings
from assay.kit._rounds import Signals
from assay.kit._selectors import Choice, best_of, first_round
from assay.settings import Settings
from assay.signals.confidence import logprob_confidence
from assay.signals.scoring import DECISIVE_PASS, refresh
from assay.state import Route, RunState

ACCEPT = "aggregate"
CHECKED_KINDS = frozenset({"code", "math", "qa"})  # kinds with a tool: confidence alone never accepts them


def greedy_only(state: RunState) -> bool:
    """Round 0 holds just the greedy answer and nothing was decided yet."""
    return state.round == 0 and not state.routes and len(state.round_candidates(0)) == 1


def decision(state: RunState, settings: Settings) -> tuple[str, str, Signals]:
    """``(target, reason, signals)``: ``ACCEPT``, ``widen``, or ``score`` when one sample is configured."""
    cand = state.round_candidates(0)[0]
    own = [e for e in state.evidence if e.candidate_id == cand.id]
    confirmed = [e.tool for e in own if e.passed is True and e.tool in DECISIVE_PASS]
    refuted = any(e.passed is False for e in own)
    conf = logprob_confidence(cand.tokens)
    signals: Signals = {"confidence": conf.value if conf else None, "refuted": float(refuted), "confirmed": 0.0}
    if settings.samples <= 1:
        return "score", "one sample configured: score it", signals
    if confirmed and not refuted:
        signals["confirmed"] = 1.0
        return ACCEPT, f"greedy answer confirmed by {confirmed[0]}: no more samples", signals
    checked = any(e.passed is not None for e in own) or state.task.kind not in CHECKED_KINDS
    if checked and not refuted and conf is not None and conf.value >= settings.tau_confident:
        return ACCEPT, f"greedy answer confident ({conf.value:.2f} >= {settings.tau_confident}), unrefuted", signals
    why = "refuted by a tool" if refuted else "unconfirmed, confidence below tau"
    return "widen", f"greedy answer {why}: sample {settings.samples - 1} more", signals


async def probe(state: RunState, ctx: RunContext) -> Update:
    target, reason, signals = decision(state, ctx.settings)
    limits = {"tau_confident": ctx.settings.tau_confident, "samples": ctx.settings.samples}
    route = Route(source="probe", target=target, round=0, signals=signals, thresholds=limits, reason=reason)
    update: Update = {"routes": [route], "best_id": state.round_candidates(0)[0].id}
    if target == ACCEPT:
        update["candidates"] = refresh(state.round_candidates(0), state)
    return update


def _rest(state: RunState, settings: Settings) -> int:
    return max(1, settings.samples - 1)


def widen(solve: NodeFn) -> NodeFn:
    """``solve`` for the remaining ``samples - 1`` answers (at ``settings.temperature``)."""
    return with_settings(solve, samples=_rest)


def greedy(state: RunState) -> Choice:
    """The selector of an accepted greedy answer."""
    return best_of(pool=first_round, label="greedy")(state)
