"""The ``verify`` node: check the current round's candidates with an external tool, picked by task kind.

Code runs the task's unit tests in the sandbox (execution feedback: B6, B9), math re-runs the solution's
arithmetic as Python (A7, ProgCo), QA checks the answer's claims against retrieved passages (B1, CRITIC).
Tool evidence outranks self-judgment in ``combine``. A tool failure becomes Evidence with ``passed=None``
and the error in ``details``, never an exception: a broken tool must not end a run.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from assay.context import RunContext
from assay.llm.types import Usage
from assay.state import Candidate, Evidence, RunState, Task
from assay.tools.types import ClaimCheck, ProgramCheck, TestReport

TEST_TIMEOUT_S = 10.0
PROGRAM_TIMEOUT_S = 5.0


async def _run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Await an async tool; run a sync one in a thread so candidates are still checked concurrently."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)


def program_for(task: Task, code: str) -> str:
    """HumanEval-style body-only answers get the task's signature in front so the entry point exists."""
    entry = task.entry_point
    if entry and f"def {entry}" not in code and f"def {entry}" in task.question:
        return f"{task.question.rstrip()}\n{code}"
    return code


def _failed(cand: Candidate, tool: str, error: str) -> Evidence:
    return Evidence(
        id=f"ev-{cand.id}-{tool}",
        candidate_id=cand.id,
        tool=tool,
        input="",
        outcome=f"{tool} could not run: {error}"[:300],
        details={"error": error},
    )


def tests_evidence(cand: Candidate, code: str, report: TestReport) -> Evidence:
    """One Evidence per candidate: pass counts, per-test outcomes and the failing assertions."""
    failures = [{"test": o.test, "error": o.error, "traceback": o.traceback} for o in report.outcomes if not o.passed]
    passed = report.error is None and report.total > 0 and report.passed == report.total
    first = failures[0]["error"] if failures else report.error
    outcome = f"{report.passed}/{report.total} tests passed" + (f"; {first}" if first else "")
    return Evidence(
        id=f"ev-{cand.id}-tests",
        candidate_id=cand.id,
        tool="tests",
        input=code,
        outcome=outcome[:300],
        passed=passed,
        details={
            "passed": report.passed,
            "total": report.total,
            "failures": failures,
            "outcomes": [o.passed for o in report.outcomes],
            "error": report.error,
        },
    )


async def _verify_code(cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    from assay.tools.tests import run_tests

    if not state.task.tests:
        return []
    code = program_for(state.task, cand.answer or "")
    report: TestReport = await _run(
        run_tests,
        code,
        state.task.tests,
        entry_point=state.task.entry_point,
        timeout_s=TEST_TIMEOUT_S,
        allow_weak=ctx.settings.sandbox_allow_weak,
    )
    return [tests_evidence(cand, code, report)]


def program_evidence(cand: Candidate, program: str | None, check: ProgramCheck | None) -> Evidence:
    """The arithmetic re-run: does the program's value match the claimed answer?"""
    base = {"id": f"ev-{cand.id}-program", "candidate_id": cand.id, "tool": "program", "input": program or ""}
    if program is None or check is None:
        return Evidence(**base, outcome="no arithmetic found to re-run", details={"error": "no program"})
    details = {"value": check.value, "claimed": cand.answer, "error": check.error, "stdout": check.stdout[:500]}
    error = check.error or ""
    if check.matches is None and error.startswith("AssertionError"):
        # the program asserts every stated calculation: a failed assert is a wrong step, not a broken tool
        outcome = f"a stated calculation is wrong: {error.removeprefix('AssertionError: ')}"
        return Evidence(**base, outcome=outcome[:300], passed=False, details=details)
    verdict = {True: "matches", False: "does NOT match", None: "cannot be compared with"}[check.matches]
    outcome = f"re-running the arithmetic gives {check.value}, which {verdict} the claimed answer {cand.answer}"
    if check.error:
        outcome += f" ({check.error})"
    return Evidence(**base, outcome=outcome[:300], passed=check.matches, details=details)


async def _verify_math(cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    from assay.tools.program import check_program, extract_arithmetic

    program = extract_arithmetic(cand.text)
    check: ProgramCheck | None = None
    if program is not None:
        check = await _run(
            check_program,
            program,
            cand.answer,
            timeout_s=PROGRAM_TIMEOUT_S,
            allow_weak=ctx.settings.sandbox_allow_weak,
        )
    return [program_evidence(cand, program, check)]


def claim_evidence(cand: Candidate, checks: list[ClaimCheck]) -> list[Evidence]:
    """One Evidence per claim: supported -> passed, contradicted -> failed, unknown -> undecided."""
    passed = {"supported": True, "contradicted": False, "unknown": None}
    return [
        Evidence(
            id=f"ev-{cand.id}-claim{j}",
            candidate_id=cand.id,
            tool="factcheck",
            input=check.claim,
            outcome=f"claim {check.verdict}: {check.claim}" + (f" (source: {check.quote})" if check.quote else ""),
            passed=passed[check.verdict],
            details={"verdict": check.verdict, "passage_ids": check.passage_ids, "quote": check.quote},
        )
        for j, check in enumerate(checks)
    ]


async def _verify_qa(cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    from assay.tools.factcheck import check_claims, extract_claims

    if ctx.retriever is None:
        return []
    claims = extract_claims(cand.text)
    if not claims:
        return []
    checks: list[ClaimCheck] = await check_claims(claims, ctx.retriever, ctx.llm)
    return claim_evidence(cand, checks)


_TOOLS = {"code": ("tests", _verify_code), "math": ("program", _verify_math), "qa": ("factcheck", _verify_qa)}


async def _verify_one(cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    tool, check = _TOOLS[state.task.kind]
    try:
        return await check(cand, state, ctx)
    except Exception as exc:  # a broken tool is recorded as undecided evidence, never ends the run
        return [_failed(cand, tool, f"{type(exc).__name__}: {exc}".splitlines()[0])]


async def verify(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: Evidence for the current round's candidates that have none yet (concurrently)."""
    if state.task.kind not in _TOOLS:
        return {}
    if state.task.kind == "qa" and ctx.retriever is None:
        return {"notes": ["verify: no retriever configured, QA answers are not fact-checked"]}
    seen = {e.candidate_id for e in state.evidence}
    todo = [c for c in state.round_candidates() if c.id not in seen]
    with ctx.llm.track() as used:
        found = await asyncio.gather(*(_verify_one(c, state, ctx) for c in todo))
    evidence = [ev for group in found for ev in group]
    update: dict[str, Any] = {"evidence": evidence, "usage": Usage(**used.model_dump())}
    skipped = [c.id for c, group in zip(todo, found, strict=True) if not group]
    if skipped:
        why = "the task has no tests" if state.task.kind == "code" else "no checkable claims"
        update["notes"] = [f"verify: no evidence for {', '.join(skipped)} ({why})"]
    return update
