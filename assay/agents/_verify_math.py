"""Math verification: the question's own arithmetic, a program of thought, and the solution's arithmetic re-run.

Three executed checks, all in the sandbox (A7 ProgCo, B1 CRITIC: executed programs are external evidence):
- ``expression``: a question that is bare arithmetic ("What is 17 * 23?") is evaluated; decisive both ways.
- ``pot``: the model writes short programs that compute the answer from the question (ONE ``n>1`` request per
  run); their agreed value supports a candidate that states it and counts against one that does not, neither
  decisive: the programs and the answer are one model's derivations, and on fresh gsm_symbolic splits the
  answers they agreed with were wrong 6 times in 10 (docs/signals.md).
- ``program``: the candidate's own stated calculations re-run; a wrong step refutes. Steps that are all right
  decide nothing, whether or not the last one computes the stated answer: on the recorded gsm_symbolic pools
  (seeds 7, 99, 314, 577, 4242; 391 samples) answers whose last computed value differed from the stated one
  were right 21 % of the time, twice as often as those with no arithmetic or a matching last value (11 %),
  because a right solution often ends with a check ("84 / 140 * 100% = 60%"). Counted against, it was inverted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from assay import streaming
from assay.agents._common import messages
from assay.context import RunContext
from assay.llm.types import Completion
from assay.state import Candidate, Evidence, RunState
from assay.tools._arithmetic import normalize
from assay.tools.program import check_program, extract_arithmetic, parse_number, same_number
from assay.tools.types import ProgramCheck

PROGRAM_TIMEOUT_S = 5.0
POT_ID = "ev-task-pot"  # task-level record of the program-of-thought value (reused by later rounds)
PROMPTS: dict[str, str] = {
    "system": "You write short Python programs. Reply with one ```python code block only.",
    "user": (
        "Write a short Python program that computes the answer to this problem and stores the final number "
        "in a variable named answer. No input(), no imports beyond math.\n\n{question}"
    ),
}
_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)(?:```|\Z)", re.DOTALL)
_EXPR_QUESTION = re.compile(
    r"^\s*(?:what\s+is|what's|compute|calculate|evaluate|find)?\s*(?P<expr>[-+*/().\d\s x×÷^,%]+?)\s*[?=.]*\s*$",
    re.IGNORECASE,
)


def question_expression(question: str) -> str | None:
    """The arithmetic of a question that is nothing but arithmetic ("What is 17 * 23?"), as Python."""
    found = _EXPR_QUESTION.match(question.strip())
    if not found or not re.search(r"\d\s*[-+*/x×÷^]\s*\d", found["expr"]):
        return None
    return normalize(found["expr"])


def _number(text: str | None) -> Fraction | None:
    return parse_number(text) if text else None


def _compare(cand: Candidate, tool: str, value: str, what: str, decisive: bool) -> Evidence:
    mine, theirs = _number(cand.answer), _number(value)
    passed = None if mine is None or theirs is None else same_number(mine, theirs)
    verdict = {True: "matches", False: "does NOT match", None: "cannot be compared with"}[passed]
    return Evidence(
        id=f"ev-{cand.id}-{tool}", candidate_id=cand.id, tool=tool, input=what,
        outcome=f"{what} gives {value}, which {verdict} the answer {cand.answer}"[:300], passed=passed,
        details={"value": value, "claimed": cand.answer, "decisive": decisive},
    )  # fmt: skip


async def expression_value(question: str, allow_weak: bool) -> str | None:
    expr = question_expression(question)
    if expr is None:
        return None
    check = await check_program(f"answer = {expr}\n", None, timeout_s=PROGRAM_TIMEOUT_S, allow_weak=allow_weak)
    return check.value


def pot_value(state: RunState) -> tuple[bool, str | None]:
    """(recorded?, the agreed program-of-thought value) from this run's task-level record."""
    for ev in state.evidence:
        if ev.id == POT_ID:
            return True, ev.details.get("value")
    return False, None


def consensus(values: Sequence[str | None]) -> str | None:
    """The most common value (by number; the first seen wins a tie), if at least one is a number."""
    nums = [(v, n) for v in values if v and (n := parse_number(v)) is not None]
    if not nums:
        return None
    counts = Counter(n for _, n in nums)
    best = max(counts, key=lambda n: counts[n])
    return next(v for v, n in nums if n == best)


async def program_values(done: Completion, allow_weak: bool) -> list[str | None]:
    """Each choice's program (its fenced block, else the whole text) run in the sandbox: its value, or None."""
    values: list[str | None] = []
    for choice in done.choices:
        found = _FENCE.search(choice.text)
        program = found.group(1) if found else choice.text
        check = await check_program(program, None, timeout_s=PROGRAM_TIMEOUT_S, allow_weak=allow_weak)
        values.append(check.value)
    return values


async def write_programs(state: RunState, ctx: RunContext) -> tuple[Evidence | None, list[Completion]]:
    """ONE ``n=pot_programs`` request for programs; run each; record the agreed value (None if disabled)."""
    n = ctx.settings.pot_programs
    left = state.budget.max_tokens - state.usage.total_tokens
    if n <= 0 or state.usage.calls >= state.budget.max_calls or left < 400:
        return None, []
    user = PROMPTS["user"].format(question=state.task.question)
    done = await streaming.chat(ctx.llm, messages(PROMPTS["system"], user), n=n, temperature=0.6,
                                max_tokens=min(256, left // (n + 1)), seed=state.round, agent="pot")  # fmt: skip
    values = [v for v in await program_values(done, ctx.settings.sandbox_allow_weak) if v is not None]
    value = consensus(values)
    outcome = f"programs computed {values or 'nothing'}"
    details = {"value": value, "values": values}
    record = Evidence(id=POT_ID, candidate_id="task", tool="pot-source", input=user, outcome=outcome, details=details)
    return record, [done]


def program_evidence(cand: Candidate, program: str | None, check: ProgramCheck | None) -> Evidence:
    """The arithmetic re-run: a failed assert is a wrong stated step (refutes); otherwise undecided (``passed``
    None): a matching last value proves little and a different one most often means a check step came last."""
    base = {"id": f"ev-{cand.id}-program", "candidate_id": cand.id, "tool": "program", "input": program or ""}
    if program is None or check is None:
        return Evidence(**base, outcome="no arithmetic found to re-run", details={"error": "no program"})
    details: dict[str, Any] = {"value": check.value, "claimed": cand.answer, "error": check.error,
                               "stdout": check.stdout[:500]}  # fmt: skip
    error = check.error or ""
    if check.matches is None and error.startswith("AssertionError"):
        outcome = f"a stated calculation is wrong: {error.removeprefix('AssertionError: ')}"
        return Evidence(**base, outcome=outcome[:300], passed=False, details=details)
    verdict = {True: "matches", False: "does not match", None: "cannot be compared with"}[check.matches]
    outcome = f"re-running the arithmetic gives {check.value}, which {verdict} the claimed answer {cand.answer}"
    if check.error:
        outcome += f" ({check.error})"
    if check.matches is False:  # steps right, last result not the answer: most often a check step came last
        outcome += "; every stated step is right, so this is no evidence either way"
    details["mismatch"] = check.matches is False
    return Evidence(**base, outcome=outcome[:300], passed=None, details=details)


async def check_math(cand: Candidate, state: RunState, ctx: RunContext, expr: str | None,
                     pot: str | None) -> list[Evidence]:  # fmt: skip
    """Evidence for one candidate: question arithmetic, program of thought, and its own arithmetic re-run."""
    out: list[Evidence] = []
    if expr is not None:
        out.append(_compare(cand, "expression", expr, "evaluating the question's arithmetic", decisive=True))
    if pot is not None:
        out.append(_compare(cand, "pot", pot, "a program written for the question", decisive=False))
    program = extract_arithmetic(cand.text)
    check = None
    if program is not None:
        check = await check_program(program, cand.answer, timeout_s=PROGRAM_TIMEOUT_S,
                                    allow_weak=ctx.settings.sandbox_allow_weak)  # fmt: skip
    out.append(program_evidence(cand, program, check))
    return out
