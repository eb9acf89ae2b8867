"""What the final answer's measurements entitle a user to believe: one honest word, with the reason.

``confident`` is said only when the total reaches ``tau_confident``; an answer no tool supports and whose
total is low is ``unverified``, never "confident"; a refusal is ``no answer``; an answer a decisive tool
refutes is ``refuted`` (the best the run found, shown with that warning). The CLI and ``--json`` print it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assay.signals._normalize import answers_match
from assay.signals.scoring import Status, evidence_status
from assay.state import RunState

Label = Literal["verified", "confident", "uncertain", "unverified", "refuted", "no answer"]


@dataclass(frozen=True)
class Verdict:
    label: Label
    reason: str
    status: Status | None
    total: float | None

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "reason": self.reason, "status": self.status, "total": self.total}


def _label(status: Status, total: float, tau: float) -> tuple[Label, str]:
    if status == "non_answer":
        return "no answer", "the answer is a refusal or has no content"
    if status == "refuted":
        return "refuted", "a tool shows this answer is wrong (no better candidate was found)"
    if status == "confirmed":
        return "verified", "a decisive tool confirms it (tests pass or computed value agrees)"
    if total >= tau:
        backed = "with supporting evidence" if status == "supported" else "from agreement and confidence alone"
        return "confident", f"total {total:.2f} >= {tau} {backed}"
    if status == "supported":
        return "uncertain", f"some tool evidence supports it, but the total {total:.2f} is below {tau}"
    return "unverified", f"no tool evidence supports it and its total {total:.2f} is below {tau}"


def verdict(state: RunState, tau_confident: float) -> Verdict:
    """The verdict on ``state``'s final answer (its best candidate)."""
    best = state.best
    if best is None:
        return Verdict("no answer", "the run produced no candidate", None, None)
    status = evidence_status(best, state.evidence, state.task.kind, state.task.question)
    total = best.scores.total if best.scores.total is not None else 0.0
    label, reason = _label(status, total, tau_confident)
    return Verdict(label, reason, status, best.scores.total)


def reference_match(state: RunState) -> bool | None:
    """Whether the final answer matches the task's reference (None without a reference or an answer)."""
    if state.task.reference is None:
        return None
    if state.best is not None and state.best.correct is not None:
        return state.best.correct
    return answers_match(state.answer, state.task.reference, state.task.kind) if state.answer else False
