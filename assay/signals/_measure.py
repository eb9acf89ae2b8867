"""What the score node measures with models: judge reward, step scores, semantic agreement; and its accounting.

Kept apart from the formula (``scoring``) so the formula stays a pure function. Every request goes through a
client whose usage is tracked (``tracked``), so judge and embedder tokens count against the run's budget, and
the number of judge calls is bounded by the calls and tokens the budget has left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from assay.context import RunContext
from assay.errors import LLMError
from assay.llm.client import LLMClient
from assay.llm.types import Usage
from assay.signals.confidence import logprob_confidence, sample_group, semantic_agreement
from assay.signals.reward import ClassifyJudge, JudgeItem, RewardScorer, make_scorer, split_steps, step_items
from assay.state import Candidate, RunState, TaskKind

STEP_SCORED = 1  # new candidates per call that get step-level scores (the likely review target)
JUDGE_TOKENS = 300  # a judge prompt's size, for bounding judge calls by the tokens left


def clients(ctx: RunContext) -> list[LLMClient]:
    """The distinct clients of a context (the judge may be the generator itself)."""
    seen: dict[int, LLMClient] = {}
    for client in (ctx.llm, ctx.judge, ctx.embedder):
        if client is not None:
            seen.setdefault(id(client), client)
    return list(seen.values())


@contextmanager
def tracked(ctx: RunContext) -> Iterator[Callable[[], Usage]]:
    """Track every client of ``ctx`` inside the block; the yielded function sums what they spent."""
    with ExitStack() as stack:
        tallies = [stack.enter_context(client.track()) for client in clients(ctx)]
        yield lambda: sum((Usage(**t.model_dump()) for t in tallies), Usage())


def judge_item(cand: Candidate, state: RunState) -> JudgeItem:
    """The final answer (code for code tasks) only: no reasoning (D6) and no tool evidence (counted once)."""
    return JudgeItem(question=state.task.question, kind=state.task.kind, answer=cand.answer)


def step_source(cand: Candidate, kind: TaskKind) -> str:
    """The text split into steps: the code for code tasks, the full solution otherwise."""
    return cand.answer if kind == "code" and cand.answer else cand.text


def affordable(state: RunState, scorer: RewardScorer, wanted: int) -> int:
    """How many judge items the budget still pays for: a logprob judge costs a call per item, a ``/classify``
    judge one call per batch; both cost about ``JUDGE_TOKENS`` tokens per item."""
    b, u = state.budget, state.usage
    calls_left = b.max_calls - u.calls
    tokens_left = b.max_tokens - u.total_tokens
    by_tokens = max(0, tokens_left // JUDGE_TOKENS)
    if isinstance(scorer, ClassifyJudge):
        return min(wanted, by_tokens) if calls_left > 0 else 0
    return max(0, min(wanted, calls_left, by_tokens))


async def _step_scores(cands: Sequence[Candidate], state: RunState, scorer: RewardScorer) -> dict[str, list[float]]:
    """Step-level scores for the highest-reward candidates, all prefixes judged in one batch (D1, A6)."""
    chosen = sorted(cands, key=lambda c: c.scores.reward or 0.0, reverse=True)[:STEP_SCORED]
    plans = {c.id: split_steps(step_source(c, state.task.kind)) for c in chosen}
    items = [it for cid in plans for it in step_items(state.task.question, state.task.kind, plans[cid])]
    if not items or affordable(state, scorer, len(items)) < len(items):
        return {}
    values = await scorer.score(items)
    out: dict[str, list[float]] = {}
    for cid, steps in plans.items():
        out[cid], values = values[: len(steps)], values[len(steps) :]
    return out


def _with_scores(cand: Candidate, **values: Any) -> Candidate:
    return cand.model_copy(update={"scores": cand.scores.model_copy(update=values)})


def with_confidence(cand: Candidate) -> Candidate:
    """``cand`` with its logprob confidence: free, from the reply's own token logprobs (no model call)."""
    conf = logprob_confidence(cand.tokens)
    return _with_scores(cand, confidence=conf.value if conf else None)


async def _semantic(new: list[Candidate], ctx: RunContext) -> list[Candidate]:
    """Open questions: agreement = mean cosine similarity of each sample's embedding to its group's others."""
    if ctx.embedder is None:
        return new
    groups: dict[str, list[Candidate]] = {}
    for cand in new:
        groups.setdefault(sample_group(cand), []).append(cand)
    out = {c.id: c for c in new}
    for members in (g for g in groups.values() if len(g) > 1):
        vectors = await ctx.embedder.embed([(c.answer or c.text)[:2000] for c in members])
        for cand, value in zip(members, semantic_agreement(vectors), strict=True):
            out[cand.id] = _with_scores(cand, agreement=value)
    return [out[c.id] for c in new]


def _wants_steps(ctx: RunContext, scorer: RewardScorer) -> bool:
    """Step scores feed the reviewer and ``w_steps``; a per-item logprob judge pays a call per step."""
    return ctx.settings.w_steps > 0 or isinstance(scorer, ClassifyJudge)


async def measure(new: list[Candidate], state: RunState, ctx: RunContext) -> tuple[list[Candidate], list[str]]:
    """Confidence, reward (as many as the budget affords), step scores and, for open questions, semantic
    agreement for the new candidates; a failing judge or embedder leaves its signal unmeasured."""
    new = [with_confidence(c) for c in new]
    notes: list[str] = []
    scorer = make_scorer(ctx)
    judged = new[: affordable(state, scorer, len(new))]
    try:
        if state.task.kind == "open":
            new = await _semantic(new, ctx)
        rewards = await scorer.score([judge_item(c, state) for c in judged]) if judged else []
        by_id = {c.id: r for c, r in zip(judged, rewards, strict=True)}
        new = [_with_scores(c, reward=by_id[c.id]) if c.id in by_id else c for c in new]
        steps = await _step_scores(new, state, scorer) if _wants_steps(ctx, scorer) else {}
    except LLMError as exc:
        return new, [f"score: judge failed, reward not measured ({exc})"]
    if len(judged) < len(new):
        notes.append(f"score: budget paid for {len(judged)} of {len(new)} judge calls")
    return [_with_scores(c, steps=steps[c.id]) if c.id in steps else c for c in new], notes
