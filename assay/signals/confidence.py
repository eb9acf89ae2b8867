"""Cheap signals measured from the samples themselves: agreement, token-logprob confidence, tool evidence.

Each signal is a plain function returning ``Signal(value in [0, 1], inputs)``; ``inputs`` keeps the raw
numbers it used so a route decision can show why it was taken. Gating revision on confidence instead of
refining everything follows A2 (IoE) and D1 (MAgICoRe).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assay.signals._normalize import normalize_answer
from assay.state import Candidate, Evidence, TaskKind, TokenStats


class Signal(BaseModel):
    """One measured value in [0, 1] and the raw inputs it came from."""

    model_config = ConfigDict(frozen=True)

    value: float
    inputs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("value")
    @classmethod
    def _clamp(cls, value: float) -> float:
        if math.isnan(value):
            return 0.0
        return min(1.0, max(0.0, value))


def logprob_confidence(tokens: TokenStats) -> Signal | None:
    """exp(mean token logprob): the geometric-mean token probability. None when logprobs are missing."""
    if tokens.mean_logprob is None or tokens.n_tokens == 0:
        return None
    min_p = math.exp(tokens.min_logprob) if tokens.min_logprob is not None else None
    return Signal(
        value=math.exp(tokens.mean_logprob),
        inputs={"mean_logprob": tokens.mean_logprob, "min_logprob": tokens.min_logprob, "min_p": min_p},
    )


def verbalized(candidate: Candidate) -> Signal | None:
    """The model's stated "Confidence: NN%" (A2). Kept for routing experiments and reports, not in ``total``:
    small models state high confidence regardless of correctness."""
    if candidate.verbal_confidence is None:
        return None
    return Signal(value=candidate.verbal_confidence, inputs={"stated": candidate.verbal_confidence})


def outcome_signature(evidence: Sequence[Evidence]) -> str | None:
    """The pass/fail pattern of a code candidate's tests: equal patterns mean equal behaviour on the tests."""
    for ev in evidence:
        outcomes = ev.details.get("outcomes")
        if ev.tool == "tests" and isinstance(outcomes, list) and outcomes:
            return "tests:" + "".join("1" if ok else "0" for ok in outcomes)
    return None


def answer_key(candidate: Candidate, kind: TaskKind, evidence: Sequence[Evidence] = ()) -> str | None:
    """What "the same answer" means for voting: the test signature for tested code, else the normal form."""
    if kind == "code":
        own = [ev for ev in evidence if ev.candidate_id == candidate.id]
        signature = outcome_signature(own)
        if signature is not None:
            return signature
    return normalize_answer(candidate.answer, kind)


def _share(mine: str | None, votes: Counter[str], pool: int) -> Signal:
    value = votes[mine] / max(pool, 1) if mine is not None else 0.0
    return Signal(value=value, inputs={"key": mine, "votes": votes[mine] if mine else 0, "pool": pool})


def agreement(
    candidate: Candidate, pool: Sequence[Candidate], kind: TaskKind, evidence: Sequence[Evidence] = ()
) -> Signal:
    """Share of the pool (the candidate included) whose answer key equals this candidate's (self-consistency)."""
    votes = Counter(k for c in pool if (k := answer_key(c, kind, evidence)) is not None)
    return _share(answer_key(candidate, kind, evidence), votes, len(pool))


def agreements(pool: Sequence[Candidate], kind: TaskKind, evidence: Sequence[Evidence] = ()) -> dict[str, Signal]:
    """``agreement`` of every pool candidate, by id, with each answer key computed once (n keys, not n²:
    a code key parses the code)."""
    keys = {c.id: answer_key(c, kind, evidence) for c in pool}
    votes = Counter(k for k in keys.values() if k is not None)
    return {cid: _share(key, votes, len(pool)) for cid, key in keys.items()}


# Tools whose PASS proves little: re-running a solution's arithmetic shows its steps are consistent, not that
# they answer the question ("3+4=7" passes). Their failures count as evidence, their passes do not, so a
# passing check never lowers a total below that of an unchecked candidate, and a failing one always lowers it.
FAILURE_ONLY_TOOLS: frozenset[str] = frozenset({"program"})


def evidence_score(candidate_id: str, evidence: Sequence[Evidence]) -> Signal | None:
    """Mean outcome of this candidate's decided tool evidence (passed not None); None if there is none.

    Test evidence that records ``passed``/``total`` counts gives partial credit (3 of 4 tests = 0.75); passes
    of ``FAILURE_ONLY_TOOLS`` are not counted.
    """
    values: list[float] = []
    for ev in evidence:
        if ev.candidate_id != candidate_id or ev.passed is None or (ev.passed and ev.tool in FAILURE_ONLY_TOOLS):
            continue
        passed, total = ev.details.get("passed"), ev.details.get("total")
        share = passed / total if isinstance(passed, int) and isinstance(total, int) and total > 0 else float(ev.passed)
        values.append(share)
    if not values:
        return None
    return Signal(value=sum(values) / len(values), inputs={"n": len(values), "values": values})
