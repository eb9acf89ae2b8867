"""``best-of-n`` and ``best-of-n-weighted``: k samples ranked by the reward scorer (E1, E14), or a vote
weighted by reward (E2, E14).

One ``n=k`` solver request, then one judge batch (``kit.rate``: outcome reward only, no step scores). The plain
variant keeps the highest-reward sample; the weighted one sums reward per normalised answer, so an answer many
samples share can beat one lucky high-reward sample.
"""

from __future__ import annotations

from assay import kit
from assay.agents.solver import solve

SELECT = kit.best_of(kit.reward, label="reward")
SELECT_WEIGHTED = kit.weighted_vote()


def build_best_of_n() -> kit.Graph:
    return kit.one_shot(solve, SELECT, rank=kit.rate())


def build_best_of_n_weighted() -> kit.Graph:
    return kit.one_shot(solve, SELECT_WEIGHTED, rank=kit.rate())


RECIPE = kit.Recipe(
    "best-of-n", build_best_of_n, "k samples in one request, ranked by the reward scorer; keep the best",
    papers=("E1", "E14"), steps=5, steps_per_round=0, selector=SELECT,
)  # fmt: skip
WEIGHTED = kit.Recipe(
    "best-of-n-weighted", build_best_of_n_weighted, "k samples, vote over normalised answers weighted by reward",
    papers=("E1", "E2", "E14"), steps=5, steps_per_round=0, selector=SELECT_WEIGHTED,
)  # fmt: skip
