"""``self-consistency``: k samples in ONE ``n=k`` request, then a majority vote over normalised answers.

Self-consistency (G10) as the cheap aggregation MAgICoRe (D1) uses for easy problems: no judge, no tools,
one request; ``settings.samples`` is k and ``settings.temperature_for(kind)`` the sampling temperature. Answers are
compared in normal form (``answer_key``: numbers, case, whitespace; for tested code, the test outcomes).
"""

from __future__ import annotations

from assay import kit
from assay.agents.solver import solve

SELECT = kit.voted(label="majority vote")


def build_self_consistency() -> kit.Graph:
    return kit.one_shot(solve, SELECT)


RECIPE = kit.Recipe(
    "self-consistency", build_self_consistency, "k samples in one n=k request, majority vote over normalised answers",
    papers=("G10", "D1"), steps=4, steps_per_round=0, selector=SELECT,
)  # fmt: skip
