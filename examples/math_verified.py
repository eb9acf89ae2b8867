"""Math with program verification: the model's arithmetic is executed, never trusted (A7 ProgCo, B1 CRITIC).

Each candidate's stated calculations are re-run in the sandbox, and the model also writes short programs that
compute the answer from the question (program of thought). A wrong step refutes a candidate; an answer the
programs agree on is confirmed. Refuted candidates go to review and refinement with the failing evidence.
Run it after `assay up`, or on the scripted fake backend with no server:

    python examples/math_verified.py "A pen costs 17 cents. How many cents do 23 pens cost?"
    python examples/math_verified.py --fake
"""

from __future__ import annotations

import argparse
import asyncio

import assay
from assay.testing import FakeLLM

QUESTION = "A pen costs 17 cents. How many cents do 23 pens cost?"
SLIP = "Each pen costs 17 cents.\n17 * 23 = 381\nAnswer: 381\nConfidence: 85%"
RIGHT = "Each pen costs 17 cents.\n17 * 23 = 391\nAnswer: 391\nConfidence: 90%"
PROGRAM = "```python\nprice = 17\npens = 23\nanswer = price * pens\n```"


async def solve(question: str, ctx: assay.RunContext) -> dict[str, object]:
    """One verified run; returns what the report prints (so tests can check it)."""
    state = await assay.run(assay.Task(question=question, kind="math"), ctx=ctx)
    best = state.best
    checks: dict[tuple[str, str], tuple[bool | None, str]] = {}  # (tool, answer) -> (passed, outcome)
    for ev in state.evidence:
        answer = next((c.answer for c in state.candidates if c.id == ev.candidate_id), None) or "-"
        checks[(ev.tool, answer)] = (ev.passed, ev.outcome)
    return {
        "answer": state.answer,
        "origin": best.origin if best else None,
        "evidence": checks,
        "refuted": sorted({answer for (_, answer), (ok, _) in checks.items() if ok is False}),
        "stopped_by": state.stopped_by,
    }


def fake_context(settings: assay.Settings) -> assay.RunContext:
    """The solver slips on 17 * 23; the programs it writes compute 391; the refiner, shown that, fixes it."""
    llm = FakeLLM(default="I am not sure.")
    llm.on("Write a short Python program", texts=[PROGRAM])
    llm.on("You improve a solution", texts=[RIGHT])  # before the solver rule: the refiner quotes the task
    llm.on("Solve this problem", texts=[SLIP])
    judge = FakeLLM().on_classify("", p_yes=0.6)
    return assay.RunContext(settings=settings, llm=llm.client(), judge=judge.client())


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Solve a word problem with executed verification.")
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--fake", action="store_true", help="use the scripted FakeLLM instead of a server")
    args = parser.parse_args(argv)
    settings = assay.load_settings(samples=3, max_rounds=2)
    if args.fake:
        ctx = fake_context(settings)
    else:
        llm, judge, _ = assay.make_clients(settings)
        ctx = assay.RunContext(settings=settings, llm=llm, judge=judge)
    report = await solve(args.question, ctx)
    print(f"answer: {report['answer']} (from the {report['origin']}, stopped by {report['stopped_by']})")
    for (tool, answer), (passed, outcome) in report["evidence"].items():  # type: ignore[attr-defined]
        mark = {True: "pass", False: "FAIL", None: "n/a"}[passed]
        print(f"  {tool:10} {answer:>6} {mark:4}  {outcome[:70]}")
    await ctx.llm.aclose()
    if ctx.judge is not None:
        await ctx.judge.aclose()


if __name__ == "__main__":
    asyncio.run(main())
