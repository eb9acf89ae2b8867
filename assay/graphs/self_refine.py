"""``self-refine``: critique then refine, every time, for fixed rounds or until a score threshold (A1, A4, A6).

The ungated baseline the literature warns about: Self-Refine's loop (A1) applied to every answer, which
flips right answers to wrong without external feedback (A4; A6: locating the mistake is the hard part). It
returns the LAST revision, as the loop does, not the best so far: the benchmark shows what that costs against
``adaptive``. Stops: ``max_rounds`` (fixed) or the latest revision's reward >= ``tau_confident`` (threshold).
"""

from __future__ import annotations

from assay import kit
from assay.agents.refiner import refine
from assay.agents.reviewer import review
from assay.agents.solver import solve

STOPS = kit.Stops(kit.BudgetLimit(), kit.Confident(latest=True, min_round=1), kit.MaxRounds())
SELECT = kit.latest


def build_self_refine() -> kit.Graph:
    greedy = kit.with_settings(solve, samples=1, temperature=0.0)
    revise = [("review", review), ("refine", refine)]
    return kit.loop(greedy, check=[("rate", kit.rate())], revise=revise, stops=STOPS, select=SELECT, revise_first=True)


RECIPE = kit.Recipe(
    "self-refine", build_self_refine,
    "critique then refine every answer; fixed rounds or reward threshold; returns the last revision (ungated)",
    papers=("A1", "A4", "A6"), steps=6, steps_per_round=4, selector=SELECT,
)  # fmt: skip
