"""The one scoring formula (docs/signals.md) and the ``score`` node that applies it to the pool.

Every candidate is scored on ONE scale::

    raw    = Σ w_s · v_s / Σ w_s    over s in (confidence, agreement, reward, steps, evidence),
                                    a signal not measured for this candidate counts as NEUTRAL (0.5)
    total  = cap · raw                    if a decisive tool refutes it, or it is no answer (a refusal)
           = cap + (1 - cap) · raw        otherwise                                  (cap = refuted_cap)
    total  = max(total, tau_confident)    if a decisive tool confirms it and none refutes it

so a refuted candidate never outranks an unrefuted one, a confirmed one is always confident, and a candidate
without evidence is compared with the others on the same scale (its evidence counts 0.5, "unknown").
Each piece of tool evidence is counted once, in ``evidence``; the judge sees only the answer (D6). Agreement
is measured among the independent samples of one request (``round_agreements``), never the whole pool.
External evidence beats self-judgment (B1, B6, B7; D6, J6); the weights come from measured AUC
(``assay.signals.auc``): a near-chance signal gets a weight near 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assay.context import RunContext
from assay.settings import Settings
from assay.signals._measure import judge_item, measure, step_source, tracked, with_confidence
from assay.signals._normalize import answers_match, non_answer, normalize_answer
from assay.signals.confidence import FAILURE_ONLY_TOOLS, evidence_score, round_agreements
from assay.state import Candidate, Evidence, RunState, Scores, Task, TaskKind

__all__ = [
    "Weights",
    "answer_evidence",
    "combine",
    "evidence_status",
    "judge_item",
    "refresh",
    "score",
    "step_source",
    "with_confidence",
]

Status = Literal["confirmed", "supported", "contested", "unverified", "refuted", "non_answer"]
SIGNALS = ("confidence", "agreement", "reward", "steps", "evidence")
NEUTRAL = 0.5  # the value of a signal that was not measured: neither for nor against
# A pass here confirms the answer. Not ``pot``: two agreeing programs of thought and a stated answer are two
# derivations by one model, and on fresh gsm_symbolic splits (seeds 99, 123, 577, CHAMP) the answers they
# "confirmed" were wrong 6 times in 10; their agreement is evidence for (``supported``), as a fact check's is.
DECISIVE_PASS = frozenset({"tests", "expression"})
# A failure here refutes it, unless the evidence says ``details["decisive"] = False`` (a program of thought
# that disagrees). A re-run whose stated steps are all right records no failure at all (``_verify_math``).
DECISIVE_FAIL = frozenset({"tests", "expression", "program", "compile", "pot"})
_LOW = frozenset({"refuted", "non_answer"})
ANSWER_LEVEL_KINDS = frozenset({"qa"})  # kinds whose tool verdict is a function of the answer alone


def _default(name: str) -> float:
    return float(Settings.model_fields[name].default)


@dataclass(frozen=True)
class Weights:
    """The formula's parameters (Settings ``w_*``, ``refuted_cap``, ``tau_confident``; defaults: Settings')."""

    confidence: float = _default("w_confidence")
    agreement: float = _default("w_agreement")
    reward: float = _default("w_reward")
    steps: float = _default("w_steps")
    evidence: float = _default("w_evidence")
    refuted_cap: float = _default("refuted_cap")
    tau_confident: float = _default("tau_confident")

    @classmethod
    def from_settings(cls, s: Settings) -> Weights:
        return cls(s.w_confidence, s.w_agreement, s.w_reward, s.w_steps, s.w_evidence, s.refuted_cap, s.tau_confident)

    def of(self, name: str) -> float:
        return float(getattr(self, name))


def signal_values(scores: Scores) -> dict[str, float | None]:
    """Each signal of the formula; ``steps`` is the weakest step's score (a chain is as good as its worst step)."""
    return {
        "confidence": scores.confidence,
        "agreement": scores.agreement,
        "reward": scores.reward,
        "steps": min(scores.steps) if scores.steps else None,
        "evidence": scores.evidence,
    }


def raw_score(scores: Scores, weights: Weights) -> float:
    """Weighted mean of all signals, an unmeasured one counting ``NEUTRAL``; ``NEUTRAL`` if every weight is 0."""
    values = signal_values(scores)
    den = sum(weights.of(n) for n in SIGNALS)
    if den <= 0:
        return NEUTRAL
    return sum(weights.of(n) * (NEUTRAL if values[n] is None else float(values[n] or 0.0)) for n in SIGNALS) / den


def combine(scores: Scores, weights: Weights | None = None, status: Status = "unverified") -> float:
    """The total of the formula in the module docstring (``status`` from ``evidence_status``)."""
    w = weights or Weights()
    raw = raw_score(scores, w)
    if status in _LOW:
        return w.refuted_cap * min(raw, 0.999)
    total = w.refuted_cap + (1.0 - w.refuted_cap) * raw
    return max(total, w.tau_confident) if status == "confirmed" else total


def evidence_status(cand: Candidate, evidence: Sequence[Evidence], kind: TaskKind, question: str = "") -> Status:
    """What the tools say about ``cand``: refuted / confirmed by a decisive tool, supported or contested by
    others, unverified (no decided evidence), or ``non_answer`` (a refusal or an answer without content)."""
    if non_answer(cand.answer, kind, question):
        return "non_answer"
    own = [e for e in evidence if e.candidate_id == cand.id and e.passed is not None]
    if any(e.passed is False and e.details.get("decisive", e.tool in DECISIVE_FAIL) for e in own):
        return "refuted"
    if any(e.passed and e.tool in DECISIVE_PASS for e in own):
        return "confirmed"
    pro = any(e.passed and e.tool not in FAILURE_ONLY_TOOLS for e in own)
    con = any(e.passed is False for e in own)
    if pro:
        return "contested" if con else "supported"
    return "contested" if con else "unverified"


def is_correct(cand: Candidate, task: Task, evidence: Sequence[Evidence]) -> bool | None:
    """Reference match when the task has a reference; for code without one, "all given tests passed"."""
    if task.reference is not None:
        return answers_match(cand.answer, task.reference, task.kind)
    if task.kind == "code":
        decided = [e.passed for e in evidence if e.candidate_id == cand.id and e.tool == "tests"]
        decided = [p for p in decided if p is not None]
        return all(decided) if decided else cand.correct
    return cand.correct


def refresh(cands: Sequence[Candidate], state: RunState, weights: Weights | None = None) -> list[Candidate]:
    """``cands`` with agreement (within their sample group), evidence, total and ``correct`` recomputed against
    ``state`` (no model calls). Free-text agreement measured by the embedder is kept."""
    shares = round_agreements(state.candidates, state.task.kind, state.evidence)
    return [_refreshed(c, shares.get(c.id), state, weights) for c in cands]


def evidence_for(cand: Candidate, state: RunState) -> Sequence[Evidence]:
    """The evidence that speaks about ``cand``: its own, or, not checked yet, the verdicts on its answer
    (``answer_evidence``): a copy of a contradicted answer must not outscore it for want of a check."""
    if any(e.candidate_id == cand.id for e in state.evidence):
        return state.evidence
    return answer_evidence(cand, state) or state.evidence


def answer_evidence(cand: Candidate, state: RunState) -> list[Evidence]:
    """For kinds whose check depends on the answer alone (QA: the claim is built from question and answer), the
    check evidence of the first other candidate with ``cand``'s answer, re-pointed to ``cand``; else []."""
    kind = state.task.kind
    key = normalize_answer(cand.answer, kind) if kind in ANSWER_LEVEL_KINDS else None
    if key is None:
        return []
    answers = {c.id: normalize_answer(c.answer, kind) for c in state.candidates if c.id != cand.id}
    checked = [e for e in state.evidence if "verdict" in e.details and answers.get(e.candidate_id) == key]
    owner = checked[0].candidate_id if checked else None
    return [e.model_copy(update={"candidate_id": cand.id}) for e in checked if e.candidate_id == owner]


def _refreshed(cand: Candidate, share: Any, state: RunState, weights: Weights | None) -> Candidate:
    evidence = evidence_for(cand, state)
    ev = evidence_score(cand.id, evidence)
    agree = share.value if share is not None else None
    if state.task.kind == "open" and cand.scores.agreement is not None and share is not None:
        agree = cand.scores.agreement  # semantic agreement from the embedder, measured once
    scores = cand.scores.model_copy(update={"agreement": agree, "evidence": ev.value if ev else None})
    scores.total = combine(scores, weights, evidence_status(cand, evidence, state.task.kind, state.task.question))
    return cand.model_copy(update={"scores": scores, "correct": is_correct(cand, state.task, state.evidence)})


def evidence_lines(cand_id: str, evidence: Sequence[Evidence]) -> tuple[str, ...]:
    """Short ``tool: outcome`` lines for a reviewer prompt (not the judge's: evidence is counted once)."""
    return tuple(f"{e.tool}: {e.outcome}" for e in evidence if e.candidate_id == cand_id)


async def score(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: measure new candidates, refresh agreement/evidence/total for the whole pool. Usage counts every
    request the node sent, on every client (generator, judge, embedder)."""
    new = [c for c in state.candidates if c.scores.total is None]
    with tracked(ctx) as used:
        measured, notes = await measure(new, state, ctx) if new else ([], [])
    by_id = {c.id: c for c in measured}
    pool = [by_id.get(c.id, c) for c in state.candidates]
    view = state.model_copy(update={"candidates": pool})
    weights = Weights.from_settings(ctx.settings)
    update: dict[str, Any] = {"candidates": refresh(pool, view, weights), "usage": used()}
    if notes:
        update["notes"] = notes
    return update
