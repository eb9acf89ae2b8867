"""``critic``: CRITIC (B1): verify with tools, revise only on evidence.

One greedy answer; the kind's tools check it (tests for code, the arithmetic re-run for math, claim checks
against retrieved passages for QA). No failing evidence: stop, the answer stands (``unrefuted``), whatever a
model would say about it. Failing evidence: a critique that must cite it (the reviewer), a revision, verify
again. Totals come from the evidence with no judge call (``kit.tally``); the best so far is returned (E1).
"""

from __future__ import annotations

from assay import kit
from assay.agents.refiner import refine
from assay.agents.reviewer import review
from assay.agents.solver import solve

STOPS = kit.Stops(kit.BudgetLimit(), kit.Verified(), kit.Unrefuted(), kit.Patience(), kit.MaxRounds())
SELECT = kit.best_so_far


def build_critic() -> kit.Graph:
    greedy = kit.with_settings(solve, samples=1, temperature=0.0)
    check = [("verify", kit.verify), ("tally", kit.tally)]
    return kit.loop(greedy, check=check, revise=[("review", review), ("refine", refine)], stops=STOPS, select=SELECT)


RECIPE = kit.Recipe(
    "critic", build_critic, "greedy answer, tool checks; revise (cited critique + refine) only on failing evidence",
    papers=("B1",), steps=8, steps_per_round=5, selector=SELECT,
)  # fmt: skip
