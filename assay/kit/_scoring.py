"""Scoring nodes for recipes: the full scorer, a reward-only ranker, and a free re-tally.

``score`` (from ``assay.signals.scoring``) measures every signal and combines them. ``rate(make)`` asks only a
reward scorer (best-of-n, E1): ``scores.reward`` and ``scores.total`` are its value, one judge batch per call.
``tally`` recomputes agreement, tool evidence and totals with no model call (after a tool run).
``Conservative`` aggregates several scorers pessimistically (E2: min, or mean minus spread).
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from assay.context import RunContext
from assay.errors import LLMError
from assay.kit._nodes import NodeFn, Update
from assay.llm.types import Usage
from assay.signals.reward import JudgeItem, RewardScorer, make_scorer, scorer_usage
from assay.signals.scoring import Weights, is_correct, judge_item, refresh
from assay.state import Candidate, RunState

MakeScorer = Callable[[RunContext], RewardScorer]


def rate(make: MakeScorer = make_scorer) -> NodeFn:
    """Node factory: reward (= total) for the candidates not rated yet, in one batch."""

    async def rate_node(state: RunState, ctx: RunContext) -> Update:
        todo = [c for c in state.candidates if c.scores.reward is None]
        if not todo:
            return {}
        scorer = make(ctx)
        try:
            values = await scorer.score([judge_item(c, state) for c in todo])
        except LLMError as exc:
            return {"notes": [f"rate: judge failed, reward not measured ({exc})"], "usage": scorer_usage(scorer)}
        rated = [_rated(c, v, state) for c, v in zip(todo, values, strict=True)]
        return {"candidates": rated, "usage": scorer_usage(scorer)}

    return rate_node


def _rated(cand: Candidate, value: float, state: RunState) -> Candidate:
    scores = cand.scores.model_copy(update={"reward": value, "total": value})
    return cand.model_copy(update={"scores": scores, "correct": is_correct(cand, state.task, state.evidence)})


async def tally(state: RunState, ctx: RunContext) -> Update:
    """Node: agreement, evidence and totals of the whole pool recomputed from the state (no model calls), with
    the run's weights (``Settings.w_*``: user-set or calibrated)."""
    return {"candidates": refresh(state.candidates, state, Weights.from_settings(ctx.settings))}


@dataclass
class Conservative:
    """Several scorers per item: ``min`` or ``mean - spread`` (population std), clipped to [0, 1] (E2)."""

    scorers: Sequence[RewardScorer]
    agg: Literal["min", "mean_minus_spread"] = "mean_minus_spread"

    async def score(self, items: Sequence[JudgeItem]) -> list[float]:
        columns = zip(*await asyncio.gather(*(s.score(items) for s in self.scorers)), strict=True)
        return [self._one(list(col)) for col in columns]

    def _one(self, values: list[float]) -> float:
        if self.agg == "min":
            return min(values)
        return max(0.0, statistics.fmean(values) - statistics.pstdev(values))

    @property
    def usage(self) -> Usage:
        return sum((scorer_usage(s) for s in self.scorers), Usage())
