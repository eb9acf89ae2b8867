"""Swap one node of the adaptive graph: a custom verifier, registered as a new recipe.

Node functions are plain ``async (state, ctx) -> partial update``. Here the verifier first runs the built-in
tools and then adds one domain check of its own: a "how many" question needs a whole, non-negative number.
Its Evidence feeds the same scores, reviews and routes as the built-in kinds. Run it after `assay up`:

    python examples/custom_verifier.py "How many legs do 3 spiders have?"
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import assay
from assay.agents.verifier import verify as builtin_verify
from assay.graphs.adaptive import build_adaptive


def count_evidence(cand: assay.Candidate) -> assay.Evidence:
    """A count must parse as a whole number >= 0. Necessary, not sufficient: the check can fail a candidate,
    but passing it proves nothing, so a pass is recorded as undecided (``passed=None``) and adds no score."""
    answer = (cand.answer or "").replace(",", "").strip()
    ok = answer.isdigit()
    return assay.Evidence(
        id=f"ev-{cand.id}-count",
        candidate_id=cand.id,
        tool="count-check",
        input=cand.answer or "",
        outcome="a whole number" if ok else f"{answer!r} is not a whole, non-negative number",
        passed=None if ok else False,
    )


async def verify_counts(state: assay.RunState, ctx: assay.RunContext) -> dict[str, Any]:
    update = await builtin_verify(state, ctx)
    if "how many" in state.task.question.lower():
        checked = {e.candidate_id for e in state.evidence if e.tool == "count-check"}
        fresh = [c for c in state.round_candidates() if c.id not in checked]
        update["evidence"] = [*update.get("evidence", []), *map(count_evidence, fresh)]
    return update


assay.register_graph(
    "adaptive-counts",
    lambda human=False: build_adaptive(human=human, verify=verify_counts),
    "adaptive, plus a whole-number check for 'how many' questions",
    supports_human=True,
)


async def main(question: str) -> None:
    state = await assay.run(assay.Task(question=question, kind="math"), graph="adaptive-counts")
    print("answer:", state.answer, "| stopped by:", state.stopped_by)
    for route in state.routes:
        print(f"  round {route.round}: {route.source} -> {route.target}: {route.reason}")
    for ev in state.evidence:
        print(f"  evidence {ev.tool:12} {ev.candidate_id:16} passed={ev.passed} {ev.outcome[:60]}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "How many legs do 3 spiders have?"))
