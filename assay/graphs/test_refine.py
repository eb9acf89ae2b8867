"""``test-refine``: run the tests, feed the failures back, keep the best-passing (B6, B7; execution feedback).

k samples in one request; the sandbox runs the task's tests on each (for math: the arithmetic re-run). One
passes every test: stop. Else the refiner rewrites the best-passing one from its failing assertions (no
critique step: the test output is the critique), the revisions are tested, and so on until a pass, no
improvement, the round limit or the budget. The answer is the candidate that passed the most tests.
"""

from __future__ import annotations

from assay import kit
from assay.agents.refiner import refine
from assay.agents.solver import solve
from assay.state import Candidate

STOPS = kit.Stops(kit.BudgetLimit(), kit.Verified(), kit.Patience(), kit.MaxRounds())


def passing(cand: Candidate) -> float:
    """Share of tests passed, ties broken by the total."""
    evidence = cand.scores.evidence if cand.scores.evidence is not None else -1.0
    return evidence + 1e-3 * kit.total(cand)


SELECT = kit.best_of(passing, label="tests passed")


def build_test_refine() -> kit.Graph:
    check = [("verify", kit.verify), ("tally", kit.tally)]
    return kit.loop(solve, check=check, revise=[("refine", refine)], stops=STOPS, select=SELECT)


RECIPE = kit.Recipe(
    "test-refine", build_test_refine, "k samples, run the tests, refine the best-passing from its failures; keep best",
    papers=("B6", "B7", "B9"), steps=8, steps_per_round=4, selector=SELECT,
)  # fmt: skip
