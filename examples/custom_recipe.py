"""A new recipe from the kit in under 50 lines: resample until a tool stops refuting the answer.

One greedy answer; the task kind's tools check it; a refuted answer is not refined but resampled, hotter
each round (J1: raise the temperature on retries). Stops: a tool confirms, nothing refutes, the half-budget
rule below, the round limit, or the budget. Best so far wins (E1). Run it after `assay up`:

    python examples/custom_recipe.py "What is 17 * 23?"
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import assay
from assay import kit
from assay.agents.solver import solve


@dataclass(frozen=True)
class HalfBudget:
    """A custom stop rule: stop once half of the token budget is spent (keeps the rest for other work)."""

    reason: str = "half_budget"

    def check(self, state: assay.RunState, p: kit.Progress, settings: assay.Settings) -> str | None:
        used, limit = state.usage.total_tokens, state.budget.max_tokens
        return f"stop: {used} of {limit} tokens spent" if used * 2 >= limit else None

    def thresholds(self, state: assay.RunState, settings: assay.Settings) -> dict[str, float]:
        return {"half_tokens": state.budget.max_tokens / 2}


def hotter(state: assay.RunState, settings: assay.Settings) -> float:
    return min(2.0, settings.temperature + 0.3 * state.round)


STOPS = kit.Stops(kit.BudgetLimit(), kit.Verified(), kit.Unrefuted(), HalfBudget(), kit.MaxRounds())


def build_resample() -> kit.Graph:
    greedy = kit.with_settings(solve, samples=1, temperature=0.0)
    again = kit.with_settings(solve, samples=2, temperature=hotter)
    check = [("verify", kit.verify), ("tally", kit.tally)]
    return kit.loop(greedy, check=check, revise=[("resample", again)], stops=STOPS, select=kit.best_so_far)


RECIPE = kit.Recipe("resample", build_resample, "greedy, tools; resample hotter while refuted; best so far",
                    papers=("B1", "J1", "E1"), steps=8, steps_per_round=4, selector=kit.best_so_far)  # fmt: skip
assay.add_recipe(RECIPE)


async def main(question: str) -> None:
    state = await assay.run(question, graph="resample")
    print("answer:", state.answer, "| stopped by:", state.stopped_by)
    for route in state.routes:
        print(f"  round {route.round}: {route.source} -> {route.target}: {route.reason}")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "What is 17 * 23?"))
