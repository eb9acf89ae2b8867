"""How well each signal separates right candidates from wrong ones: ROC AUC per signal (calibration input).

For the harness (``assay/eval``, ``assay bench --calibrate``) and ``benchmarks/signals/measure.py``: pass the
scored candidates of many runs with ``correct`` set (tasks with a reference answer) and, optionally, those
runs' evidence; get one AUC per signal. 0.5 is chance, 1.0 separates perfectly, below 0.5 ranks backwards.
A signal near 0.5 deserves a weight near 0 in the scoring formula (``Settings.w_*``; ``suggest_weights``).

    from assay.signals.auc import signal_auc
    aucs = signal_auc([c for state in states for c in state.candidates],
                      evidence=[e for state in states for e in state.evidence])
    # {"confidence": 0.61, "agreement": 0.74, "reward": 0.48, "steps": None, "evidence": 0.9, "total": 0.81,
    #  "verbal": 0.5, "tool:tests": 0.93, "tool:program": 0.7, ...}   None: unmeasured or only one class

Pooling candidates of different tasks compares across tasks, as the route thresholds do (one tau for all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from assay.signals.confidence import evidence_score
from assay.state import Candidate, Evidence

SIGNAL_NAMES = ("confidence", "agreement", "reward", "steps", "evidence", "total", "verbal")
Getter = Callable[[Candidate], float | None]

_GETTERS: dict[str, Getter] = {
    "confidence": lambda c: c.scores.confidence,
    "agreement": lambda c: c.scores.agreement,
    "reward": lambda c: c.scores.reward,
    "steps": lambda c: min(c.scores.steps) if c.scores.steps else None,
    "evidence": lambda c: 0.5 if c.scores.evidence is None else c.scores.evidence,  # as the formula counts it
    "total": lambda c: c.scores.total,
    "verbal": lambda c: c.verbal_confidence,
}


def auc(pairs: Iterable[tuple[float, bool]]) -> float | None:
    """ROC AUC of ``(value, is_right)`` pairs (Mann-Whitney U with ties counted half); None unless both
    classes are present."""
    data = sorted(pairs, key=lambda p: p[0])
    pos = sum(1 for _, right in data if right)
    neg = len(data) - pos
    if pos == 0 or neg == 0:
        return None
    rank_sum, i = 0.0, 0
    while i < len(data):
        j = i
        while j < len(data) and data[j][0] == data[i][0]:
            j += 1
        mid = (i + 1 + j) / 2  # the average 1-based rank of the tied block
        rank_sum += mid * sum(1 for k in range(i, j) if data[k][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def _tool_values(candidates: Sequence[Candidate], evidence: Sequence[Evidence]) -> dict[str, list[tuple[float, bool]]]:
    """Per tool: the mean outcome of each labelled candidate's evidence from that tool, passes and failures
    alike; a candidate the tool checked but could not decide counts 0.5 (a claim neither supported nor
    contradicted separates nothing)."""
    by_tool: dict[str, list[tuple[float, bool]]] = {}
    tools = sorted({e.tool for e in evidence if e.passed is not None})
    for tool in tools:
        picked = [e for e in evidence if e.tool == tool]
        for cand in candidates:
            mine = [e for e in picked if e.candidate_id == cand.id]
            if not mine or cand.correct is None:
                continue
            sig = evidence_score(cand.id, mine, failure_only=frozenset())
            by_tool.setdefault(f"tool:{tool}", []).append((sig.value if sig else 0.5, cand.correct))
    return by_tool


def signal_auc(candidates: Sequence[Candidate], evidence: Sequence[Evidence] = ()) -> dict[str, float | None]:
    """AUC of every signal in ``SIGNAL_NAMES`` over the candidates whose ``correct`` is known and whose signal
    was measured (``evidence`` as the formula counts it: none = 0.5), plus ``tool:<name>`` for each tool in
    ``evidence`` (each tool's passes and failures alike).

    Candidate ids must be unique across the list (runs make ids like ``r0-solver-0``: prefix them per run
    before pooling, e.g. ``c.model_copy(update={"id": f"{run}:{c.id}"})``, and the evidence's ids to match).
    """
    labelled = [c for c in candidates if c.correct is not None]
    out: dict[str, float | None] = {}
    for name in SIGNAL_NAMES:
        pairs = [(v, bool(c.correct)) for c in labelled if (v := _GETTERS[name](c)) is not None]
        out[name] = auc(pairs)
    for name, pairs in _tool_values(labelled, evidence).items():
        out[name] = auc(pairs)
    return out


def suggest_weights(aucs: dict[str, float | None], names: Sequence[str] = ("confidence", "agreement", "reward",
                    "steps", "evidence")) -> dict[str, float]:  # fmt: skip
    """Weights proportional to each signal's separating power ``max(0, AUC - 0.5)`` (0 for unmeasured or
    near-chance signals, below 0.55), normalised to sum to 1."""
    power = {n: max(0.0, (a or 0.5) - 0.5) if (a or 0.5) >= 0.55 else 0.0 for n in names for a in [aucs.get(n)]}
    total = sum(power.values())
    return {n: round(p / total, 3) if total else 0.0 for n, p in power.items()}
