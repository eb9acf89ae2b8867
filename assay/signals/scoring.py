"""The ``score`` node: measure every signal for new candidates and combine them into one ``total``.

Agreement and tool evidence depend on the whole pool and on evidence that arrives later, so they are
recomputed for every candidate on each call (cheap, no model calls). Logprob confidence and judge reward
are measured once per candidate. ``combine`` lets tool evidence dominate when it exists: external
evidence beats self-judgment (B1, B6, B7; D6, J6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.context import RunContext
from assay.errors import LLMError
from assay.signals._normalize import answers_match
from assay.signals.confidence import agreements, evidence_score, logprob_confidence
from assay.signals.reward import JudgeItem, RewardScorer, make_scorer, scorer_usage, split_steps, step_items
from assay.state import Candidate, Evidence, RunState, Scores, Task, TaskKind

# Self-measured signals, weighted mean over those present (weights renormalise when one is missing).
WEIGHTS: dict[str, float] = {"agreement": 0.35, "confidence": 0.15, "reward": 0.5}
# Share of the total that tool evidence takes when present: a candidate passing every test (total >= 0.75)
# always outranks one failing every test (total <= 0.25), whatever the judges think.
EVIDENCE_WEIGHT = 0.75
STEP_SCORED = 1  # new candidates per call that get step-level scores (the likely review target)


def combine(scores: Scores) -> float:
    """``self = Σ w_s·s / Σ w_s`` over agreement (0.35), confidence (0.15), reward (0.5) that are present;
    ``total = 0.75·evidence + 0.25·self`` when evidence exists, else ``self``; 0.0 when nothing is measured."""
    values: dict[str, float | None] = {
        "agreement": scores.agreement,
        "confidence": scores.confidence,
        "reward": scores.reward,
    }
    present = [(w, v) for name, w in WEIGHTS.items() if (v := values[name]) is not None]
    own = sum(w * v for w, v in present) / sum(w for w, _ in present) if present else None
    if scores.evidence is None:
        return own if own is not None else 0.0
    if own is None:
        return scores.evidence
    return EVIDENCE_WEIGHT * scores.evidence + (1.0 - EVIDENCE_WEIGHT) * own


def is_correct(cand: Candidate, task: Task, evidence: Sequence[Evidence]) -> bool | None:
    """Reference match when the task has a reference; for code without one, "all tests passed"."""
    if task.reference is not None:
        return answers_match(cand.answer, task.reference, task.kind)
    if task.kind == "code":
        decided = [e.passed for e in evidence if e.candidate_id == cand.id and e.tool == "tests"]
        decided = [p for p in decided if p is not None]
        return all(decided) if decided else cand.correct
    return cand.correct


def refresh(cands: Sequence[Candidate], state: RunState) -> list[Candidate]:
    """``cands`` with the pool- and evidence-dependent signals, the total and ``correct`` recomputed against
    ``state``'s pool (no model calls)."""
    shares = agreements(state.candidates, state.task.kind, state.evidence)
    return [_refreshed(c, shares[c.id].value, state) for c in cands]


def _refreshed(cand: Candidate, agreement: float, state: RunState) -> Candidate:
    ev = evidence_score(cand.id, state.evidence)
    scores = cand.scores.model_copy(update={"agreement": agreement, "evidence": ev.value if ev else None})
    scores.total = combine(scores)
    return cand.model_copy(update={"scores": scores, "correct": is_correct(cand, state.task, state.evidence)})


def step_source(cand: Candidate, kind: TaskKind) -> str:
    """The text split into steps: the code for code tasks, the full solution otherwise."""
    return cand.answer if kind == "code" and cand.answer else cand.text


def evidence_lines(cand_id: str, evidence: Sequence[Evidence]) -> tuple[str, ...]:
    """Short ``tool: outcome`` lines for a judge or reviewer prompt."""
    return tuple(f"{e.tool}: {e.outcome}" for e in evidence if e.candidate_id == cand_id)


def judge_item(cand: Candidate, state: RunState) -> JudgeItem:
    """The final answer (code for code tasks) and its tool evidence, never the reasoning (D6)."""
    return JudgeItem(
        question=state.task.question,
        kind=state.task.kind,
        answer=cand.answer,
        evidence=evidence_lines(cand.id, state.evidence),
    )


async def _step_scores(cands: Sequence[Candidate], state: RunState, scorer: RewardScorer) -> dict[str, list[float]]:
    """Step-level scores for the highest-reward candidates, all prefixes judged in one batch (D1, A6)."""
    chosen = sorted(cands, key=lambda c: c.scores.reward or 0.0, reverse=True)[:STEP_SCORED]
    plans = {c.id: split_steps(step_source(c, state.task.kind)) for c in chosen}
    items = [it for cid in plans for it in step_items(state.task.question, state.task.kind, plans[cid])]
    values = await scorer.score(items)
    out: dict[str, list[float]] = {}
    for cid, steps in plans.items():
        out[cid], values = values[: len(steps)], values[len(steps) :]
    return out


async def _measure(new: list[Candidate], state: RunState, scorer: RewardScorer) -> tuple[list[Candidate], list[str]]:
    """Confidence, reward and step scores for the new candidates; a failing judge leaves reward unmeasured."""
    new = [_with_scores(c, confidence=(conf := logprob_confidence(c.tokens)) and conf.value) for c in new]
    try:
        rewards = await scorer.score([judge_item(c, state) for c in new])
        new = [_with_scores(c, reward=r) for c, r in zip(new, rewards, strict=True)]
        steps = await _step_scores(new, state, scorer)
    except LLMError as exc:
        return new, [f"score: judge failed, reward not measured ({exc})"]
    return [_with_scores(c, steps=steps[c.id]) if c.id in steps else c for c in new], []


def _with_scores(cand: Candidate, **values: Any) -> Candidate:
    return cand.model_copy(update={"scores": cand.scores.model_copy(update=values)})


async def score(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: measure new candidates, refresh agreement/evidence/total for the whole pool."""
    scorer = make_scorer(ctx)
    new = [c for c in state.candidates if c.scores.total is None]
    measured, notes = await _measure(new, state, scorer) if new else ([], [])
    by_id = {c.id: c for c in measured}
    pool = [by_id.get(c.id, c) for c in state.candidates]
    view = state.model_copy(update={"candidates": pool})
    update: dict[str, Any] = {"candidates": refresh(pool, view), "usage": scorer_usage(scorer)}
    if notes:
        update["notes"] = notes
    return update
