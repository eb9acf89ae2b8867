"""The ``verify`` node: check the current round's candidates with external tools, picked by task kind.

- code: the task's tests in the sandbox (execution feedback: B6, B9); without a tests file, the docstring's
  examples, model-written tests (CodeT) and a load check (``_verify_code``).
- math: the question's own arithmetic, a program of thought, the solution's arithmetic re-run (A7 ProgCo,
  B1 CRITIC; ``_verify_math``).
- qa: the ANSWER's claim, built from question and answer, checked against retrieved passages (B1 CRITIC);
  a passage that supports only the justification is no support. A short answer none of the passages retrieved
  for the question or its claim contains is evidence against it (``_grounding``, no model call).
Each piece of evidence is counted once, by the scoring formula. A tool failure becomes Evidence with
``passed=None`` and the error in ``details``, never an exception: a broken tool must not end a run. A node's
spend is bounded by what the budget has left (model-written tests and programs are skipped, claims cut).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from assay.agents._grounding import Grounder
from assay.agents._verify_code import check_code, generated_tests, program_for, tests_evidence, write_tests
from assay.agents._verify_math import check_math, expression_value, pot_value, program_evidence, write_programs
from assay.context import RunContext
from assay.llm.types import Completion
from assay.signals._measure import tracked
from assay.signals._normalize import non_answer, normalize_answer
from assay.signals.scoring import answer_evidence
from assay.state import Candidate, Evidence, RunState
from assay.tools.types import ClaimCheck, Retriever

__all__ = ["claim_evidence", "program_evidence", "program_for", "tests_evidence", "verify"]

Check = Callable[[Candidate], Awaitable[list[Evidence]]]
Prepared = tuple[Check, list[Evidence], list[Completion]]


def claim_evidence(cand: Candidate, checks: list[ClaimCheck], source: str = "answer") -> list[Evidence]:
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
            details={
                "verdict": check.verdict,
                "passage_ids": check.passage_ids,
                "quote": check.quote,
                "claim_source": source,
            },
        )
        for j, check in enumerate(checks)
    ]


def _failed(cand: Candidate, tool: str, error: str) -> Evidence:
    return Evidence(
        id=f"ev-{cand.id}-{tool}",
        candidate_id=cand.id,
        tool=tool,
        input="",
        outcome=f"{tool} could not run: {error}"[:300],
        details={"error": error},
    )


async def _prepare_code(state: RunState, ctx: RunContext) -> Prepared:
    made: list[Completion] = []
    records: list[Evidence] = []
    gen = generated_tests(state) if not state.task.tests else []
    if gen is None:
        record, made = await write_tests(state, ctx)
        records = [record] if record else []
        gen = list(record.details["tests"]) if record else []
    tests = gen
    return (lambda c: check_code(c, state, ctx, tests)), records, made


async def _prepare_math(state: RunState, ctx: RunContext) -> Prepared:
    expr = await expression_value(state.task.question, ctx.settings.sandbox_allow_weak)
    made: list[Completion] = []
    records: list[Evidence] = []
    known, pot = pot_value(state)
    if not known and expr is None:  # a bare arithmetic question needs no program of thought
        record, made = await write_programs(state, ctx)
        records = [record] if record else []
        pot = record.details.get("value") if record else None
    return (lambda c: check_math(c, state, ctx, expr, pot)), records, made


async def _prepare_qa(state: RunState, ctx: RunContext) -> Prepared:
    from assay.tools.factcheck import check_answer
    from assay.tools.search import SharedSearches

    retriever = SharedSearches(ctx.retriever) if ctx.retriever else None  # the claim is searched once, not twice
    calls_left = [state.budget.max_calls - state.usage.calls]  # each judged claim is one call
    pending: dict[str, asyncio.Task[ClaimCheck | None]] = {}
    grounder = Grounder(state.task.question, retriever) if retriever and ctx.settings.qa_grounding else None

    async def claim(cand: Candidate, answer: str, shelf: Retriever) -> list[Evidence]:
        key = normalize_answer(answer, "qa") or cand.id
        if key not in pending:
            if calls_left[0] <= 0:
                return []  # the budget pays for one judged claim per call left
            calls_left[0] -= 1
            pending[key] = asyncio.ensure_future(check_answer(state.task.question, answer, shelf, ctx.llm))
        checked = await pending[key]
        return claim_evidence(cand, [checked]) if checked else []

    async def check(cand: Candidate) -> list[Evidence]:
        if retriever is None or not cand.answer or non_answer(cand.answer, "qa", state.task.question):
            return []  # a refusal has no claim to check
        shared = answer_evidence(cand, state)  # the claim is built from question and answer: the same verdict
        if shared:
            return [_repointed(e, cand, j) for j, e in enumerate(shared)]
        grounded = await grounder.evidence(cand) if grounder else None  # no model call
        return [*await claim(cand, cand.answer, retriever), *([grounded] if grounded else [])]

    return check, [], []


def _repointed(ev: Evidence, cand: Candidate, j: int) -> Evidence:
    """A shared verdict under ``cand``'s own evidence id."""
    name = f"claim{j}" if ev.tool == "factcheck" else ev.tool
    return ev.model_copy(update={"id": f"ev-{cand.id}-{name}"})


_PREPARE = {"code": ("tests", _prepare_code), "math": ("program", _prepare_math), "qa": ("factcheck", _prepare_qa)}


async def _verify_one(cand: Candidate, tool: str, check: Check) -> list[Evidence]:
    try:
        return await check(cand)
    except Exception as exc:  # a broken tool is recorded as undecided evidence, never ends the run
        return [_failed(cand, tool, f"{type(exc).__name__}: {exc}".splitlines()[0])]


async def verify(state: RunState, ctx: RunContext) -> dict[str, Any]:
    """Node: Evidence for the current round's candidates that have none yet (concurrently)."""
    if state.task.kind not in _PREPARE:
        return {}
    if state.task.kind == "qa" and ctx.retriever is None:
        return {"notes": ["verify: no retriever configured, QA answers are not fact-checked"]}
    tool, prepare = _PREPARE[state.task.kind]
    seen = {e.candidate_id for e in state.evidence}
    todo = [c for c in state.round_candidates() if c.id not in seen]
    with tracked(ctx) as used:
        try:
            check, records, _ = await prepare(state, ctx)
        except Exception as exc:  # a broken preparation (sandbox, model) leaves only the per-candidate checks
            check, records = _broken(tool, f"{type(exc).__name__}: {exc}".splitlines()[0]), []
        found = await asyncio.gather(*(_verify_one(c, tool, check) for c in todo))
    evidence = [*records, *(ev for group in found for ev in group)]
    update: dict[str, Any] = {"evidence": evidence, "usage": used()}
    skipped = [c.id for c, group in zip(todo, found, strict=True) if not group]
    if skipped:
        why = "no checkable claim in the answer" if state.task.kind == "qa" else "nothing to check"
        update["notes"] = [f"verify: no evidence for {', '.join(skipped)} ({why})"]
    return update


def _broken(tool: str, error: str) -> Check:
    async def check(cand: Candidate) -> list[Evidence]:
        return [_failed(cand, tool, error)]

    return check
