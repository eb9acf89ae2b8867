"""``rm-ensemble``: best-of-n under several reward scorers, aggregated conservatively (E2).

Reward-model ensembles mitigate over-optimisation (E2): a sample wins only if every scorer likes it. The
scorers are the configured judge under two grader prompts, plus the generator's own yes/no judge when a
separate judge server exists; their values per sample are combined by ``mean - spread`` (uncertainty-weighted,
UWO) or ``min`` (worst case, WCO): ``build_graph("rm-ensemble", agg="min")``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from assay import kit
from assay.agents.solver import solve
from assay.context import RunContext
from assay.signals.reward import ClassifyJudge, LogprobJudge, RewardScorer, make_scorer

CHECKER = (
    "Check this answer as a sceptical examiner would: recompute it yourself before you decide.\n\n"
    "Task:\n{question}\n\n{answer}{evidence}\nDoes the answer hold up? Reply with one word: yes or no."
)
SELECT = kit.best_of(kit.reward, label="ensemble reward")


def scorers(ctx: RunContext) -> list[RewardScorer]:
    """The configured judge, the same judge as a sceptical checker, and the generator as a judge (if distinct)."""
    default = make_scorer(ctx)
    checker = make_scorer(ctx)
    if isinstance(checker, ClassifyJudge | LogprobJudge):
        checker = replace(checker, templates={**checker.templates, "outcome": CHECKER})
    own = [LogprobJudge(ctx.llm)] if ctx.judge is not None else []
    return [default, checker, *own]


def build_rm_ensemble(agg: Literal["min", "mean_minus_spread"] = "mean_minus_spread") -> kit.Graph:
    return kit.one_shot(solve, SELECT, rank=kit.rate(lambda ctx: kit.Conservative(scorers(ctx), agg)))


RECIPE = kit.Recipe(
    "rm-ensemble", build_rm_ensemble, "best-of-n under several judges, conservative aggregate (mean - spread or min)",
    papers=("E2",), steps=5, steps_per_round=0, selector=SELECT,
)  # fmt: skip
