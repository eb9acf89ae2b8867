"""The ``review`` node: one evidence-aimed critique of the best candidate that is not confidently right.

The critique targets the lowest step-level scores (D1, MAgICoRe; A6: locating the mistake is the hard
part) and quotes failing tool evidence (B1). Output is bounded JSON with a separate verdict (C2). Calling
a candidate wrong needs evidence: ``evidence_ids`` may only name this candidate's FAILING evidence, and
``Review`` downgrades an uncited "incorrect" to "unsure" (D6). Temperature 0 for the critique (A5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, field_validator

from assay.agents._common import fill, get_prompt, messages, structured_call, usage_of
from assay.context import RunContext
from assay.llm.types import Completion
from assay.signals.reward import split_steps
from assay.signals.scoring import Weights, refresh, step_source
from assay.state import Candidate, Evidence, Review, RunState, Verdict

PROMPTS: dict[str, str] = {
    "system": (
        "You review a proposed solution. Say 'incorrect' only when a piece of tool evidence shows an error, "
        "and cite its id. Without such evidence say 'unsure' (or 'correct'). Be specific and brief."
    ),
    "user": (
        "Task:\n{question}\n\nProposed solution:\n{solution}\n\nWeakest steps (lowest judge scores):\n{steps}\n\n"
        "Tool evidence:\n{evidence}\n\nReply with JSON: verdict (correct, incorrect or unsure); critique "
        "(what is wrong and how to fix it, aimed at the weakest steps and failing evidence); targets (up to 3 "
        "quoted steps or claims); evidence_ids (ids of failing evidence that shows the error)."
    ),
}

REVIEW_TOP = 1  # candidates reviewed per call
MAX_CRITIQUE = 600
MAX_TARGET = 200
MAX_SOLUTION_CHARS = 2000


class ReviewOut(BaseModel):
    """What the model returns; over-long fields are cut rather than rejected."""

    verdict: Verdict
    critique: str
    targets: list[str] = []
    evidence_ids: list[str] = []

    @field_validator("critique")
    @classmethod
    def _cut(cls, value: str) -> str:
        return value.strip()[:MAX_CRITIQUE]

    @field_validator("targets")
    @classmethod
    def _cut_targets(cls, value: list[str]) -> list[str]:
        return [t.strip()[:MAX_TARGET] for t in value if t.strip()][:3]


def review_schema(evidence_ids: Sequence[str]) -> dict[str, Any]:
    """Bounded JSON schema: enum verdict, capped strings, evidence ids restricted to the given ones."""
    ids: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "maxItems": 0}
    if evidence_ids:
        ids = {"type": "array", "items": {"type": "string", "enum": list(evidence_ids)}, "maxItems": 3}
    return {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["correct", "incorrect", "unsure"]},
            "critique": {"type": "string", "maxLength": MAX_CRITIQUE},
            "targets": {"type": "array", "items": {"type": "string", "maxLength": MAX_TARGET}, "maxItems": 3},
            "evidence_ids": ids,
        },
        "required": ["verdict", "critique", "targets", "evidence_ids"],
        "additionalProperties": False,
    }


def confidently_right(cand: Candidate, tau: float) -> bool:
    """All tool evidence passed, or (no evidence and) a total above the confidence threshold."""
    s = cand.scores
    return s.evidence >= 1.0 if s.evidence is not None else (s.total or 0.0) >= tau


def pick_targets(state: RunState, weights: Weights) -> list[Candidate]:
    """Best unreviewed candidates that are not confidently right, current round first (ranked by the run's
    own weights, so a calibrated settings file orders the review targets as it orders the selection)."""
    reviewed = {r.candidate_id for r in state.reviews}
    pool = refresh([c for c in state.candidates if c.id not in reviewed], state, weights)
    eligible = [c for c in pool if not confidently_right(c, weights.tau_confident)]
    current = [c for c in eligible if c.round == state.round] or eligible
    return sorted(current, key=lambda c: c.scores.total or 0.0, reverse=True)[:REVIEW_TOP]


def weakest_steps(cand: Candidate, state: RunState, keep: int = 2) -> list[str]:
    """The ``keep`` lowest-scored steps, quoted with their score (empty without step scores)."""
    steps = split_steps(step_source(cand, state.task.kind))
    if not cand.scores.steps or len(steps) != len(cand.scores.steps):
        return []
    ranked = sorted(zip(cand.scores.steps, range(len(steps)), strict=True))[:keep]
    return [f"step {i + 1} (score {p:.2f}): {steps[i][:MAX_TARGET]}" for p, i in ranked]


def failing(cand: Candidate, evidence: Sequence[Evidence]) -> list[Evidence]:
    return [e for e in evidence if e.candidate_id == cand.id and e.passed is False]


def evidence_block(cand: Candidate, evidence: Sequence[Evidence]) -> str:
    """Each piece of this candidate's evidence as ``[id] outcome``, quoting failing test assertions."""
    lines: list[str] = []
    for ev in (e for e in evidence if e.candidate_id == cand.id):
        lines.append(f"[{ev.id}] {ev.outcome}")
        for failure in ev.details.get("failures", [])[:3]:
            lines.append(f"    failed: {failure.get('test')} -> {failure.get('error')}"[:300])
    return "\n".join(lines) or "(none)"


def hollow(critique: str, prompt: str) -> bool:
    """A critique a refiner cannot use: under four words, or text copied from the prompt itself.

    Small models often fill the JSON fields with the field descriptions ("what is wrong and how to fix it").
    """
    text = critique.strip().lower()
    return len(text.split()) < 4 or text in prompt.lower()


def fallback_review(cand: Candidate, state: RunState, rid: str) -> Review:
    """A deterministic review from the failing evidence, used when the model's JSON is unusable."""
    bad = failing(cand, state.evidence)
    if bad:
        critique = "Tool evidence shows errors: " + "; ".join(e.outcome for e in bad)
        targets = [e.input or e.outcome for e in bad]
        return Review(
            id=rid,
            candidate_id=cand.id,
            verdict="incorrect",
            critique=critique[:MAX_CRITIQUE],
            targets=[t[:MAX_TARGET] for t in targets][:3],
            evidence_ids=[e.id for e in bad][:3],
        )
    weak = weakest_steps(cand, state)
    critique = "No tool evidence shows an error. Re-check the weakest steps" + (": " + "; ".join(weak) if weak else ".")
    return Review(id=rid, candidate_id=cand.id, verdict="unsure", critique=critique[:MAX_CRITIQUE], targets=weak[:3])


async def _review_one(cand: Candidate, state: RunState, ctx: RunContext) -> tuple[Review, list[Completion], str | None]:
    rid = f"r{state.round}-review-{cand.id}"
    allowed = [e.id for e in failing(cand, state.evidence)]
    user = fill(
        get_prompt(ctx, "reviewer", "user", PROMPTS),
        question=state.task.question,
        solution=step_source(cand, state.task.kind)[:MAX_SOLUTION_CHARS],
        steps="\n".join(weakest_steps(cand, state)) or "(no step scores)",
        evidence=evidence_block(cand, state.evidence),
    )
    prompt = messages(get_prompt(ctx, "reviewer", "system", PROMPTS), user)
    out, made = await structured_call(ctx, prompt, ReviewOut, review_schema(allowed), name="review")
    if out is None:
        note = f"reviewer: no usable JSON for {cand.id} (unparseable twice or schema rejected); used the fallback"
        return fallback_review(cand, state, rid), made, note
    if hollow(out.critique, user):
        note = f"reviewer: critique for {cand.id} was empty or echoed the prompt; used the evidence-based fallback"
        return fallback_review(cand, state, rid), made, note
    ids = list(dict.fromkeys(i for i in out.evidence_ids if i in allowed))
    review = Review(
        id=rid, candidate_id=cand.id, verdict=out.verdict, critique=out.critique, targets=out.targets, evidence_ids=ids
    )
    return review, made, None


async def review(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: reviews for the best not-confidently-right candidates (nothing if every candidate is)."""
    targets = pick_targets(state, Weights.from_settings(ctx.settings))
    if not targets:
        return {"notes": ["review: no candidate needs a review"]}
    results = await asyncio.gather(*(_review_one(c, state, ctx) for c in targets))
    update: dict[str, Any] = {
        "reviews": [r for r, _, _ in results],
        "usage": usage_of(c for _, made, _ in results for c in made),
    }
    notes = [n for _, _, n in results if n]
    if notes:
        update["notes"] = notes
    return update
