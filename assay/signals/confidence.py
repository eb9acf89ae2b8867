"""Cheap signals measured from the samples themselves: agreement, token-logprob confidence, tool evidence.

Each signal is a plain function returning ``Signal(value in [0, 1], inputs)``; ``inputs`` keeps the raw
numbers it used so a route decision can show why it was taken. Gating revision on confidence instead of
refining everything follows A2 (IoE) and D1 (MAgICoRe).
"""

from __future__ import annotations

import math
import re
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


KEYED_TOOLS = ("tests", "gentests")  # test runs whose pass/fail pattern defines "the same behaviour"


def outcome_signature(evidence: Sequence[Evidence]) -> str | None:
    """The pass/fail pattern of a code candidate's tests (given tests, then model-written ones): equal patterns
    mean equal behaviour on the tests (CodeT's consensus sets, B6)."""
    parts: list[str] = []
    for tool in KEYED_TOOLS:
        for ev in evidence:
            outcomes = ev.details.get("outcomes")
            if ev.tool == tool and isinstance(outcomes, list) and outcomes:
                parts.append(f"{tool}:" + "".join("1" if ok else "0" for ok in outcomes))
    return "|".join(parts) or None


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


# Id groups whose members are not independent draws for the question: deterministic repairs, and the refiner's
# revisions of ONE attempt, which copy it (SQuAD: two copies of a contradicted guess at agreement 1.0 outscored
# a supported answer). Their agreement is not measured (neutral), never high for copying.
NOT_SAMPLED = frozenset({"repair", "refiner"})


_SAMPLE_ID = re.compile(r"^(r\d+-.+)-\d+$")


def sample_group(candidate: Candidate) -> str:
    """The request a candidate was sampled in: ``r1-refiner-0`` and ``r1-refiner-1`` share ``r1-refiner``
    (ids not made by ``new_ids``: the candidate's round and origin)."""
    found = _SAMPLE_ID.match(candidate.id)
    return found.group(1) if found else f"r{candidate.round}-{candidate.origin}"


def _groups(pool: Sequence[Candidate]) -> dict[str, list[Candidate]]:
    groups: dict[str, list[Candidate]] = {}
    for cand in pool:
        groups.setdefault(sample_group(cand), []).append(cand)
    return groups


def round_agreements(
    pool: Sequence[Candidate], kind: TaskKind, evidence: Sequence[Evidence] = ()
) -> dict[str, Signal | None]:
    """Agreement among the independent samples of ONE request (one round's ``n=k`` draw), by candidate id.

    Not over the multi-round pool: the refiner is told not to repeat earlier answers, so pool-wide agreement
    would penalise every revision by design. A candidate that was not sampled (a deterministic repair, a
    refiner's revision, ``n=1``) has no agreement of its own: a copy of a sampled answer carries that answer's
    agreement in the earliest request that drew it (copying adds no vote and removes none), anything else
    has None. Free text (``open``) uses ``text_agreement``.
    """
    out: dict[str, Signal | None] = {}
    unsampled: list[Candidate] = []
    drawn: dict[str, Signal] = {}  # answer key -> its agreement in the earliest request that sampled it
    for name, members in _groups(pool).items():
        if len(members) <= 1 or name.rpartition("-")[2] in NOT_SAMPLED:
            unsampled.extend(members)
        elif kind == "open":
            out.update(text_agreement(members))
        else:
            shares = agreements(members, kind, evidence)
            out.update(shares)
            for cand in members:
                if (key := shares[cand.id].inputs.get("key")) is not None:
                    drawn.setdefault(key, shares[cand.id])
    for cand in unsampled:
        key = answer_key(cand, kind, evidence) if drawn else None
        out[cand.id] = drawn.get(key) if key is not None else None
    return out


def _words(text: str | None) -> set[str]:
    return set((normalize_answer(text, "qa") or "").split())


def text_agreement(members: Sequence[Candidate]) -> dict[str, Signal]:
    """Free-text agreement without a model: a soft vote share, ``(1 + Σ_other sim) / k`` with word-set Jaccard
    similarity (identical texts give exact-match voting's share; distinct wordings of one answer still agree,
    where exact matching gives every distinct text 1/k). The embedder version is ``semantic_agreement``."""
    words = {c.id: _words(c.answer) for c in members}
    out: dict[str, Signal] = {}
    for cand in members:
        sims = [_jaccard(words[cand.id], words[o.id]) for o in members if o.id != cand.id]
        value = (1.0 + sum(sims)) / len(members)
        out[cand.id] = Signal(value=value, inputs={"method": "jaccard", "pool": len(members)})
    return out


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def semantic_agreement(vectors: Sequence[Sequence[float]]) -> list[float]:
    """Soft vote share by embeddings: ``(1 + Σ_other cos) / k`` (cosine clipped at 0); 1.0 for one vector."""
    norms = [math.sqrt(sum(x * x for x in v)) or 1.0 for v in vectors]
    out: list[float] = []
    for i, v in enumerate(vectors):
        sims = [
            max(0.0, sum(a * b for a, b in zip(v, w, strict=True)) / (norms[i] * norms[j]))
            for j, w in enumerate(vectors)
            if j != i
        ]
        out.append((1.0 + sum(sims)) / (len(sims) + 1))
    return out


# Tools whose PASS proves little: re-running a solution's arithmetic shows its steps are consistent, not that
# they answer the question ("3+4=7" passes). Their failures count as evidence, their passes do not, so a
# passing check never lowers a total below that of an unchecked candidate, and a failing one always lowers it.
# Likewise a short QA answer found in the retrieved passages (``grounding``): a passage holds many spans.
FAILURE_ONLY_TOOLS: frozenset[str] = frozenset({"program", "compile", "grounding"})


def evidence_score(
    candidate_id: str, evidence: Sequence[Evidence], failure_only: frozenset[str] = FAILURE_ONLY_TOOLS
) -> Signal | None:
    """Mean outcome of this candidate's decided tool evidence (passed not None); None if there is none.

    Each piece counts once. Test evidence that records ``passed``/``total`` counts gives partial credit (3 of 4
    tests = 0.75); passes of ``failure_only`` tools are not counted.
    """
    values: list[float] = []
    for ev in evidence:
        if ev.candidate_id != candidate_id or ev.passed is None or (ev.passed and ev.tool in failure_only):
            continue
        passed, total = ev.details.get("passed"), ev.details.get("total")
        share = passed / total if isinstance(passed, int) and isinstance(total, int) and total > 0 else float(ev.passed)
        values.append(share)
    if not values:
        return None
    return Signal(value=sum(values) / len(values), inputs={"n": len(values), "values": values})
