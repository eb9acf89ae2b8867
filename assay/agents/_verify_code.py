"""Code verification: the task's tests; without them, docstring examples, model-written tests and a load check.

With a tests file, every candidate runs those tests (decisive: B6, B9). Without one, three kinds of evidence
come from ONE sandbox run per candidate: the examples the prompt's docstring shows (``tests``, decisive: they
are part of the task), tests the model wrote from the prompt alone (``gentests``, CodeT B6: graded, since a
model's test can be wrong; their pass pattern also groups candidates for agreement) and a load check
(``compile``: code that does not import is wrong). Runs never see hidden tests, only the prompt.
"""

from __future__ import annotations

from typing import Any

from assay import streaming
from assay.agents._common import messages
from assay.context import RunContext
from assay.llm.types import Completion
from assay.state import Candidate, Evidence, RunState, Task
from assay.tools._examples import docstring_tests, entry_point_of, parse_asserts
from assay.tools.types import TestOutcome, TestReport

TEST_TIMEOUT_S = 10.0
MAX_GENERATED = 10
TESTGEN_ID = "ev-task-testgen"  # task-level record of the model-written tests (reused by later rounds)
PROMPTS: dict[str, str] = {
    "system": "You write unit tests. Reply with Python assert lines only, one per line, no other text.",
    "user": (
        "Write 5 assert statements that test `{entry}` as described below. Use only behaviour the description "
        "states, with small inputs.\n\n{question}"
    ),
}


def program_for(task: Task, code: str) -> str:
    """HumanEval-style body-only answers get the task's signature in front so the entry point exists."""
    entry = task.entry_point
    if entry and f"def {entry}" not in code and f"def {entry}" in task.question:
        return f"{task.question.rstrip()}\n{code}"
    return code


def entry_of(task: Task) -> str | None:
    return task.entry_point or entry_point_of(task.question)


def tests_evidence(cand: Candidate, code: str, report: TestReport, tool: str = "tests", **extra: Any) -> Evidence:
    """One Evidence per candidate and test set: pass counts, per-test outcomes and the failing assertions."""
    failures = [{"test": o.test, "error": o.error, "traceback": o.traceback} for o in report.outcomes if not o.passed]
    passed = report.error is None and report.total > 0 and report.passed == report.total
    first = failures[0]["error"] if failures else report.error
    label = "model-written tests" if tool == "gentests" else "tests"
    outcome = f"{report.passed}/{report.total} {label} passed" + (f"; {first}" if first else "")
    return Evidence(
        id=f"ev-{cand.id}-{tool}",
        candidate_id=cand.id,
        tool=tool,
        input=code,
        outcome=outcome[:300],
        passed=passed,
        details={
            "passed": report.passed,
            "total": report.total,
            "failures": failures,
            "outcomes": [o.passed for o in report.outcomes],
            "error": report.error,
            **extra,
        },
    )


def generated_tests(state: RunState) -> list[str] | None:
    """The model-written tests recorded earlier in this run (None: not written yet)."""
    for ev in state.evidence:
        if ev.id == TESTGEN_ID:
            return list(ev.details.get("tests", []))
    return None


async def write_tests(state: RunState, ctx: RunContext) -> tuple[Evidence | None, list[Completion]]:
    """ONE ``n=self_tests`` request for assert lines from the prompt alone; None when disabled or unaffordable."""
    entry, n = entry_of(state.task), ctx.settings.self_tests
    left = state.budget.max_tokens - state.usage.total_tokens
    if not entry or n <= 0 or state.usage.calls >= state.budget.max_calls or left < 400:
        return None, []
    user = PROMPTS["user"].format(entry=entry, question=state.task.question)
    done = await streaming.chat(
        ctx.llm, messages(PROMPTS["system"], user), n=n, temperature=0.8, max_tokens=min(256, left // (n + 1)),
        seed=state.round, agent="testgen",
    )  # fmt: skip
    found = list(dict.fromkeys(t for c in done.choices for t in parse_asserts(c.text, entry)))[:MAX_GENERATED]
    record = Evidence(
        id=TESTGEN_ID, candidate_id="task", tool="testgen", input=user, outcome=f"{len(found)} tests written",
        details={"tests": found},
    )  # fmt: skip
    return record, [done]


def _part(report: TestReport, start: int, stop: int | None) -> TestReport:
    return TestReport(outcomes=report.outcomes[start:stop], error=report.error)


async def check_code(cand: Candidate, state: RunState, ctx: RunContext, gen: list[str]) -> list[Evidence]:
    """The candidate against the task's tests, or against load check + docstring examples + ``gen``."""
    from assay.tools.tests import run_tests

    task, allow = state.task, ctx.settings.sandbox_allow_weak
    code = program_for(task, cand.answer or "")
    entry = entry_of(task)
    if task.tests:
        report = await run_tests(code, task.tests, entry_point=task.entry_point, timeout_s=TEST_TIMEOUT_S,
                                 allow_weak=allow)  # fmt: skip
        return [tests_evidence(cand, code, report, source="given")]
    doc = docstring_tests(task.question, entry)
    load = [f"assert callable({entry})"] if entry else ["pass"]
    report = await run_tests(code, [*load, *doc, *gen], entry_point=entry, timeout_s=TEST_TIMEOUT_S, allow_weak=allow)
    loaded = report.outcomes[0] if report.outcomes else TestOutcome(test=load[0], passed=False, error=report.error)
    ok = loaded.passed
    out = [Evidence(id=f"ev-{cand.id}-compile", candidate_id=cand.id, tool="compile", input=code, passed=ok,
                    outcome="the code loads" if ok else f"the code does not load: {loaded.error}"[:300],
                    details={"error": None if ok else loaded.error})]  # fmt: skip
    if doc:
        out.append(tests_evidence(cand, code, _part(report, 1, 1 + len(doc)), source="docstring"))
    if gen:
        out.append(tests_evidence(cand, code, _part(report, 1 + len(doc), None), tool="gentests"))
    return out
