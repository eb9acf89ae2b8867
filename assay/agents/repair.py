"""Tool-driven repair for math (CRITIC B1, ProgCo A7): rewrite the wrong calculations the verifier found.

The math verifier re-runs every stated calculation and reports ``3 * 4 = 13 (computed 12)``. A small model
often cannot act on such feedback (feedback friction, J1), so the refiner also proposes the candidate with each
wrong result replaced by the computed one, including later uses of that result. The repair is not trusted
for it: like any revision it is verified again (a dependent step that is now wrong fails in turn), scored,
and the pool keeps the best so far (E1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assay.agents._common import new_ids
from assay.agents._extract import extract_answer
from assay.signals.select import total
from assay.state import Candidate, Evidence, RunState

REPAIR = "repair"

_FAILURE = re.compile(r"(?:^|; )(?P<lhs>[^=;]+?) = (?P<rhs>[^=;(]+?) \(computed (?P<value>[^)]+)\)")

Fix = tuple[str, str, str]  # (left side as written, wrong result as written, computed result)


def corrections(evidence: Sequence[Evidence], candidate_id: str) -> list[Fix]:
    """The wrong steps of ``candidate_id`` from its failed program evidence, in order."""
    for ev in evidence:
        if ev.candidate_id == candidate_id and ev.tool == "program" and ev.passed is False:
            error = str(ev.details.get("error") or "").removeprefix("AssertionError: ")
            return [(m["lhs"].strip(), m["rhs"].strip(), m["value"].strip()) for m in _FAILURE.finditer(error)]
    return []


def apply_fix(text: str, fix: Fix) -> str:
    """Correct the first occurrence of the wrong step, then every later standalone use of its wrong result."""
    lhs, rhs, value = fix
    step = re.search(re.escape(lhs) + r"\s*=\s*" + re.escape(rhs), text)
    if step is None:
        return text
    head = text[: step.start()] + f"{lhs} = {value}"
    standalone = rf"(?<!\d)(?<!\d\.){re.escape(rhs)}(?!\d)(?!\.\d)"  # "90." ends a sentence; "1.90" is another number
    tail = re.sub(standalone, value, text[step.end() :])
    return head + tail


MAX_REPAIRS = 4


def repair(cand: Candidate, state: RunState, candidate_id: str) -> Candidate | None:
    """The repaired revision of ``cand`` (math only), or None when there is nothing new to propose."""
    if state.task.kind != "math":
        return None
    text = cand.text
    for fix in corrections(state.evidence, cand.id):
        text = apply_fix(text, fix)
    if text == cand.text or any(c.text == text for c in state.candidates):
        return None
    return Candidate(
        id=candidate_id,
        text=text,
        answer=extract_answer(text, "math"),
        origin=REPAIR,  # its own origin: a tool-driven rewrite, not a model's revision
        parent=cand.id,
        round=state.round,
    )


def repairs(state: RunState, limit: int = MAX_REPAIRS) -> list[Candidate]:
    """Repairs of the best-scored pool candidates that a re-run showed wrong steps in (no model calls)."""
    if state.task.kind != "math":  # only math has re-run arithmetic to repair from
        return []
    ranked = sorted(state.candidates, key=total, reverse=True)
    made: list[Candidate] = []
    for cand in ranked:
        pool = state.model_copy(update={"candidates": [*state.candidates, *made]})
        fixed = repair(cand, pool, new_ids(pool, "repair", 1)[0])
        if fixed is not None:
            made.append(fixed)
        if len(made) >= limit:
            break
    return made
