"""``single``: one greedy pass (temperature 0, one sample). The baseline every recipe is measured against.

No paper row: this is the control. What the other recipes buy is measured as accuracy and tokens against it.
"""

from __future__ import annotations

from assay import kit
from assay.agents.solver import solve

SELECT = kit.best_of(pool=kit.first_round, label="greedy")


def build_single() -> kit.Graph:
    return kit.one_shot(kit.with_settings(solve, samples=1, temperature=0.0), SELECT)


RECIPE = kit.Recipe(
    "single", build_single, "one greedy pass, temperature 0, n=1 (the baseline)", steps=4, steps_per_round=0,
    selector=SELECT,
)  # fmt: skip
