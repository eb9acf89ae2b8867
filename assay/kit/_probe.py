"""Greedy first: one temperature-0 answer, and more samples only when a tool backs it.

``probe`` is a routing node after the greedy answer and its tool checks. It accepts the answer (goes to
``ACCEPT``, the recipe's easy-path aggregate, with the answer's total tallied from its evidence and its
logprob confidence at no model cost) only on evidence: a decisive tool confirms it (all tests pass, or the
question's bare arithmetic computes it: ``evidence_status == "confirmed"``; agreeing programs of thought only
support a math answer), or, for a kind with no decisive tool (QA's fact check, a user kind's tools), the
evidence supports it and nothing contradicts it (``"supported"``). Everything else widens: ``widen`` samples
the other ``samples - 1`` answers at the sampling temperature. Logprob confidence is recorded but never
accepts on its own: measured, it is inverted on math (AUC 0.11, docs/signals.md), and a confident mistake is
exactly what the other samples are there to catch. The decision is a ``Route`` record.
"""

from __future__ import annotations

from assay.context import RunContext
from assay.kit._nodes import NodeFn, Update, with_settings
from assay.kit._rounds import Signals
from assay.kit._selectors import Choice, Selector, best_of, first_round
from assay.kit._stops import DECISIVE_KINDS  # only a decisive tool's confirmation accepts these kinds
from assay.settings import Settings
from assay.signals.confidence import logprob_confidence
from assay.signals.scoring import Weights, evidence_for, evidence_status, refresh, with_confidence
from assay.signals.select import total
from assay.state import Route, RunState

ACCEPT = "aggregate"
GREEDY_MARGIN = "greedy_margin"


def greedy_only(state: RunState) -> bool:
    """Round 0 holds just the greedy answer and nothing was decided yet."""
    return state.round == 0 and not state.routes and len(state.round_candidates(0)) == 1


def untested_code(state: RunState) -> bool:
    """A code task whose greedy answer loads and that nothing decisive can check: no tests file, no docstring
    example. Model-written tests are not written for a lone answer (CodeT ranks a pool, B6): at greedy they
    contested right answers as often as wrong ones (docs/BENCHMARKS.md, HumanEval/40-79)."""
    cand = state.round_candidates(0)[0]
    own = [e for e in state.evidence if e.candidate_id == cand.id]
    loads = any(e.tool == "compile" and e.passed for e in own)
    return state.task.kind == "code" and loads and not any(e.tool == "tests" for e in own)


def greedy_self_tests(state: RunState, settings: Settings) -> int:
    """``self_tests`` for a verify that may check the lone greedy answer: none (unless untested code is to be
    widened), so the probe sees ``untested_code`` rather than model-written tests it cannot trust alone."""
    return 0 if greedy_only(state) and not settings.widen_untested_code else settings.self_tests


def decision(state: RunState, settings: Settings) -> tuple[str, str, Signals]:
    """``(target, reason, signals)``: ``ACCEPT``, ``widen``, or ``score`` when one sample is configured."""
    cand, kind = state.round_candidates(0)[0], state.task.kind
    status = evidence_status(cand, state.evidence, kind, state.task.question)
    conf = logprob_confidence(cand.tokens)
    signals: Signals = {"confidence": conf.value if conf else None}
    signals.update({s: float(status == s) for s in ("refuted", "confirmed", "supported")})
    if settings.samples <= 1:
        return "score", "one sample configured: score it", signals
    if status == "confirmed":
        tools = sorted({e.tool for e in state.evidence if e.candidate_id == cand.id and e.passed})
        return ACCEPT, f"greedy answer confirmed by {', '.join(tools)}: no more samples", signals
    if status == "supported" and kind not in DECISIVE_KINDS:
        return ACCEPT, "greedy answer supported by the evidence, nothing against it: no more samples", signals
    if status == "unverified" and untested_code(state) and not settings.widen_untested_code:
        return ACCEPT, "greedy answer loads and no test can decide it: kept unverified, no more samples", signals
    why = {"refuted": "refuted by a tool", "non_answer": "no answer", "contested": "contested by the evidence"}
    wanted = "decisive tool pass" if kind in DECISIVE_KINDS else "supporting evidence"
    said = why.get(status, f"unconfirmed (no {wanted})")
    return "widen", f"greedy answer {said}: sample {settings.samples - 1} more", signals


async def probe(state: RunState, ctx: RunContext) -> Update:
    target, reason, signals = decision(state, ctx.settings)
    limits: dict[str, float] = {"samples": ctx.settings.samples}
    margin = ctx.settings.greedy_margin.get(state.task.kind)
    if target == "widen" and margin is not None:
        limits[GREEDY_MARGIN] = margin  # the selector reads it here (``keep_greedy``): the record decides the pick
    route = Route(source="probe", target=target, round=0, signals=signals, thresholds=limits, reason=reason)
    update: Update = {"routes": [route], "best_id": state.round_candidates(0)[0].id}
    if target == ACCEPT:  # tallied with the free signals (evidence, logprob confidence), no judge call
        greedy = [with_confidence(c) for c in state.round_candidates(0)]
        update["candidates"] = refresh(greedy, state, Weights.from_settings(ctx.settings))
    return update


def _rest(state: RunState, settings: Settings) -> int:
    return max(1, settings.samples - 1)


def widen(solve: NodeFn) -> NodeFn:
    """``solve`` for the remaining ``samples - 1`` answers (at ``settings.temperature``)."""
    return with_settings(solve, samples=_rest)


def greedy(state: RunState) -> Choice:
    """The selector of an accepted greedy answer."""
    return best_of(pool=first_round, label="greedy")(state)


def _recorded_margin(state: RunState) -> float | None:
    for route in state.routes:
        if route.source == "probe" and route.target == "widen":
            return route.thresholds.get(GREEDY_MARGIN)
    return None


def keep_greedy(select: Selector) -> Selector:
    """``select``, except that an unrefuted greedy answer stays the pick unless the winner beats its total by
    more than the margin the probe recorded when it widened (``Settings.greedy_margin``, per kind).

    A temperature-0 answer is the model's most likely one, and one or two agreeing samples at a small model's
    sampling temperature are weak evidence against it: on gsm_symbolic seed 314 two samples outvoted greedy's
    right answer (docs/BENCHMARKS.md). A decisive tool's confirmation of the winner always beats the anchor.
    """

    def anchored(state: RunState) -> Choice:
        choice = select(state)
        margin, winner = _recorded_margin(state), choice.winner
        round0 = state.round_candidates(0)
        if margin is None or winner is None or not round0 or winner.id == round0[0].id:
            return choice
        greedy, kind, question = round0[0], state.task.kind, state.task.question
        if evidence_status(greedy, evidence_for(greedy, state), kind, question) in ("refuted", "non_answer"):
            return choice
        if evidence_status(winner, evidence_for(winner, state), kind, question) == "confirmed":
            return choice
        lead = total(winner) - total(greedy)
        if lead > margin:
            return choice
        reason = f"greedy answer {greedy.id} kept: {winner.id} leads it by {lead:.3f} <= margin {margin}"
        return Choice(greedy, {**choice.signals, "greedy_lead": lead, GREEDY_MARGIN: margin}, reason)

    return anchored
