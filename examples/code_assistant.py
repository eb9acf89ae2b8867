"""A code assistant that proves its answer with unit tests.

You give it a task and assert lines; it runs the adaptive graph with the tests as the code verifier: every
candidate function is executed against them in the sandbox, failing tests go to the reviewer and refiner, and
the answer is the best-passing candidate, never one the tests reject. Run it after `assay up`, or on the
scripted fake backend with no server:

    python examples/code_assistant.py "Write a Python function add(a, b) that returns a + b." \
        "assert add(2, 3) == 5" "assert add(-1, 1) == 0"
    python examples/code_assistant.py --fake
"""

from __future__ import annotations

import argparse
import asyncio

import assay
from assay.testing import FakeLLM

TASK = "Write a Python function median(xs) that returns the median of a non-empty list of numbers."
TESTS = ["assert median([3, 1, 2]) == 2", "assert median([4, 1, 3, 2]) == 2.5", "assert median([7]) == 7"]
BUGGY = "```python\ndef median(xs):\n    xs = sorted(xs)\n    return xs[len(xs) // 2]\n```"
FIXED = (
    "```python\ndef median(xs):\n    xs = sorted(xs)\n    mid = len(xs) // 2\n"
    "    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2\n```"
)


async def assist(task: str, tests: list[str], ctx: assay.RunContext) -> dict[str, object]:
    """One verified run; returns what the report prints (so tests can check it)."""
    entry = task.split("function ", 1)[1].split("(", 1)[0] if "function " in task else None
    goal = assay.Task(question=task, kind="code", tests=tests, entry_point=entry)
    state = await assay.run(goal, ctx=ctx)
    best = state.best
    runs = [e for e in state.evidence if e.tool == "tests" and best is not None and e.candidate_id == best.id]
    return {
        "code": state.answer,
        "tests_passed": bool(runs) and all(e.passed for e in runs),
        "test_outcome": runs[-1].outcome if runs else "not run",
        "origin": best.origin if best else None,
        "failed_candidates": sum(e.passed is False for e in state.evidence if e.tool == "tests"),
        "stopped_by": state.stopped_by,
        "routes": [f"{r.source} -> {r.target}: {r.reason}" for r in state.routes],
    }


def fake_context(settings: assay.Settings) -> assay.RunContext:
    """The solver writes the classic off-by-one median; the refiner, shown the failing test, fixes it."""
    llm = FakeLLM(default="I cannot help with that.")
    llm.on("You improve a solution", texts=[FIXED])  # before the solver rule: the refiner quotes the task
    llm.on("Write a Python function", texts=[BUGGY])
    judge = FakeLLM().on_classify("", p_yes=0.5)
    return assay.RunContext(settings=settings, llm=llm.client(), judge=judge.client())


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a function and prove it with unit tests.")
    parser.add_argument("task", nargs="?", default=TASK)
    parser.add_argument("tests", nargs="*", help="assert lines (default: the median tests)")
    parser.add_argument("--fake", action="store_true", help="use the scripted FakeLLM instead of a server")
    args = parser.parse_args(argv)
    settings = assay.load_settings(samples=2, max_rounds=2)
    if args.fake:
        ctx = fake_context(settings)
    else:
        llm, judge, _ = assay.make_clients(settings)
        ctx = assay.RunContext(settings=settings, llm=llm, judge=judge)
    report = await assist(args.task, args.tests or TESTS, ctx)
    print(report["code"])
    verdict = "all tests pass" if report["tests_passed"] else f"tests FAIL: {report['test_outcome']}"
    print(f"-- {verdict} (from the {report['origin']}; {report['failed_candidates']} candidate(s) rejected)")
    for line in report["routes"]:  # type: ignore[attr-defined]
        print("   ", line)
    await ctx.llm.aclose()
    if ctx.judge is not None:
        await ctx.judge.aclose()


if __name__ == "__main__":
    asyncio.run(main())
