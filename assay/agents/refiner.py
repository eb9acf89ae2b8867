"""The ``refine`` node: rewrite the reviewed candidate from its review and tool evidence.

Feedback friction (J1): models resist feedback, so each round samples hotter (``temperature +
round * temperature_step``) and the prompt lists the answers already tried. The originals stay in the
pool; selection keeps the best so far, not the last revision (E1), and flips are counted by the graph (A3).
For math, a deterministic repair from the verifier's computed values joins the model's revisions (``repair``);
for QA, on the first revision, an answer read from the passages retrieved for the question (``reader``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from assay.agents import _prefix
from assay.agents._common import candidates_from, fill, get_prompt, messages, sample_plan, usage_of
from assay.agents.reader import read as read_passages
from assay.agents.repair import repairs
from assay.agents.reviewer import evidence_block
from assay.agents.solver import user_prompt
from assay.context import RunContext
from assay.signals._normalize import normalize_answer
from assay.signals.select import best_candidate
from assay.state import Candidate, Review, RunState

PROMPTS: dict[str, str] = {
    "system": (
        "You improve a solution using a review and tool evidence. Fix what the evidence shows is wrong. "
        "Follow the requested answer format exactly."
    ),
    "user": (
        "{task}\n\nA previous attempt:\n{solution}\n\nReview ({verdict}): {critique}\n{targets}"
        "Tool evidence:\n{evidence}\n{tried}\nWrite an improved, complete solution in the requested format."
    ),
    "targets": "Focus on: {targets}\n",
    "tried": "Answers already tried (do not repeat these): {answers}\n",
}

SAMPLES = 2
MAX_TRIED = 8
MAX_TRIED_CHARS = 80
MAX_SOLUTION_CHARS = 2000


def refine_temperature(base: float, step: float, round_: int) -> float:
    """The J1 ramp, capped at the API maximum of 2."""
    return min(2.0, base + round_ * step)


def tried_answers(state: RunState) -> list[str]:
    """Distinct short answers in the pool that no tool has confirmed (code answers are too long to list)."""
    if state.task.kind == "code":
        return []
    confirmed = {e.candidate_id for e in state.evidence if e.passed is True}
    seen: dict[str, str] = {}
    for cand in state.candidates:
        key = normalize_answer(cand.answer, state.task.kind)
        if key and cand.answer and cand.id not in confirmed and len(cand.answer) <= MAX_TRIED_CHARS:
            seen.setdefault(key, cand.answer.strip())
    return list(seen.values())[:MAX_TRIED]


def target(state: RunState) -> tuple[Candidate, Review | None] | None:
    """The most recently reviewed candidate and its review; else the best-scored candidate."""
    for rev in reversed(state.reviews):
        try:
            return state.candidate(rev.candidate_id), rev
        except KeyError:
            continue
    best = best_candidate(state.candidates)
    return (best, None) if best else None


def refine_prompt(state: RunState, ctx: RunContext, cand: Candidate, rev: Review | None) -> str:
    """Task (in the solver's format), previous attempt, review, evidence and the tried-answer list."""
    tried = tried_answers(state)
    targets = (
        fill(get_prompt(ctx, "refiner", "targets", PROMPTS), targets="; ".join(rev.targets))
        if rev and rev.targets
        else ""
    )
    return fill(
        get_prompt(ctx, "refiner", "user", PROMPTS),
        task=user_prompt(state.task, ctx),
        solution=cand.text[:MAX_SOLUTION_CHARS],
        verdict=rev.verdict if rev else "none",
        critique=rev.critique if rev else "No review available; re-check every step.",
        targets=targets,
        evidence=evidence_block(cand, state.evidence),
        tried=fill(get_prompt(ctx, "refiner", "tried", PROMPTS), answers=" | ".join(tried)) if tried else "",
    )


async def refine(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: two revisions of the reviewed candidate, origin ``refiner``, round = ``state.round``."""
    picked = target(state)
    if picked is None:
        return {"notes": ["refine: no candidate to refine"]}
    cand, rev = picked
    settings = ctx.settings
    n, max_tokens = sample_plan(state, SAMPLES, settings.max_tokens)  # bounded by the budget left
    start = _prefix.reply_prefix(state.task, settings.reply_prefix)  # e.g. a code stub: the revision keeps it
    revising = _prefix.chat(
        ctx.llm,
        messages(get_prompt(ctx, "refiner", "system", PROMPTS), refine_prompt(state, ctx, cand, rev)),
        start,
        n=n,
        temperature=refine_temperature(
            settings.temperature_for(state.task.kind), settings.temperature_step, state.round
        ),
        max_tokens=max_tokens,
        seed=state.round,
        logprobs=True,
        top_logprobs=1,
        agent="refiner",
    )
    completion, (read, reading) = await asyncio.gather(revising, read_passages(state, ctx, max_tokens))
    new = candidates_from(completion, state, origin="refiner", kind=state.task.kind, parent=cand.id)
    fixed = repairs(state)  # tool-driven repairs next to the model's revisions (B1, A7): no model calls
    made = [completion, reading] if reading else [completion]
    return {"candidates": [*new, *fixed, *read], "usage": usage_of(made)}
