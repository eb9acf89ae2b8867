"""``ioe``: If-or-Else self-correction (A2): keep the answer when the model is confident, revise only if not.

One greedy answer with its stated confidence (the solver asks for 'Confidence: NN%') and its token logprobs.
Confident (stated confidence, else exp(mean logprob), >= ``tau_confident``): keep it, no more calls. Else one
self-revision; the initial answer stays in the pool and the more confident of the two is returned (A2: do
not over-criticise a confident answer). No judge, no tools: the cheapest corrective recipe.
"""

from __future__ import annotations

from dataclasses import dataclass

from assay import kit
from assay.agents.refiner import refine
from assay.agents.solver import solve
from assay.settings import Settings
from assay.signals.confidence import logprob_confidence
from assay.state import CONFIDENT, Candidate, RunState


def confidence(cand: Candidate) -> float:
    if cand.verbal_confidence is not None:
        return cand.verbal_confidence
    measured = logprob_confidence(cand.tokens)
    return measured.value if measured else -1.0


@dataclass(frozen=True)
class SelfConfident:
    reason: str = CONFIDENT

    def check(self, state: RunState, settings: Settings, signals: kit.Signals) -> tuple[str, str] | None:
        value = max((confidence(c) for c in state.round_candidates(0)), default=-1.0)
        signals["self_confidence"] = value
        if value >= settings.tau_confident:
            return "select", f"confident: {value:.2f} >= {settings.tau_confident}, keep the answer"
        return None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"tau_confident": settings.tau_confident}


STOPS = kit.Stops(kit.BudgetLimit(), kit.MaxRounds(1))
SELECT = kit.best_of(confidence, label="confidence")


def build_ioe() -> kit.Graph:
    greedy = kit.with_settings(solve, samples=1, temperature=0.0)
    return kit.loop(greedy, check=[], revise=[("refine", refine)], stops=STOPS, select=SELECT, gate=SelfConfident())


RECIPE = kit.Recipe(
    "ioe", build_ioe, "greedy answer + stated confidence; revise once only when not confident; most confident wins",
    papers=("A2",), steps=6, steps_per_round=2, selector=SELECT,
)  # fmt: skip
