"""``assay bench --calibrate``: choose routing thresholds and signal weights from a held-in split.

Every candidate in the held-in results carries its signal scores and its true correctness (hidden
scorer), so each signal's power to separate right from wrong answers is its ROC AUC. A signal's weight is
``2·(AUC − 0.5)`` (zero at or below ``MIN_AUC``: a near-chance signal gets no weight), rescaled so the weights
keep their current sum (signals without enough data keep their weight). Each threshold is the cut that
maximises Youden's J (TPR − FPR) of its signal: ``tau_agreement`` on agreement, ``tau_reward`` on reward,
``tau_confident`` on the combined total. The fitted values are written to a settings TOML file
(``ASSAY_CONFIG=<file>``); reported figures must come from a split disjoint from the one they were fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from assay.eval.records import CandidateRecord, Record
from assay.settings import Settings
from assay.signals.auc import auc as roc_auc  # one AUC for the harness and benchmarks/signals

SIGNALS = ("agreement", "confidence", "reward", "evidence")
THRESHOLDS = {"tau_agreement": "agreement", "tau_reward": "reward", "tau_confident": "total"}
MIN_AUC = 0.55
MIN_CLASS = 3  # positives and negatives needed before a signal is fitted


class Calibration(BaseModel):
    values: dict[str, float] = Field(default_factory=dict)
    auc: dict[str, float | None] = Field(default_factory=dict)
    counts: dict[str, list[int]] = Field(default_factory=dict)  # signal -> [right, wrong] candidates
    notes: list[str] = Field(default_factory=list)


def youden_cut(pairs: Sequence[tuple[float, bool]]) -> float | None:
    """The threshold t (one of the observed values) maximising TPR − FPR of ``value >= t``."""
    pos = sum(ok for _, ok in pairs)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    best, best_j = None, -2.0
    for cut in sorted({v for v, _ in pairs}):
        tpr = sum(ok and v >= cut for v, ok in pairs) / pos
        fpr = sum((not ok) and v >= cut for v, ok in pairs) / neg
        if tpr - fpr > best_j:
            best, best_j = cut, tpr - fpr
    return best


def signal_pairs(cands: Sequence[CandidateRecord], signal: str) -> list[tuple[float, bool]]:
    pairs = []
    for cand in cands:
        value = getattr(cand.scores, signal, None)
        if isinstance(value, float | int):
            pairs.append((float(value), cand.correct))
    return pairs


def _weights(cal: Calibration, settings: Settings) -> None:
    fields = {s: f"w_{s}" for s in SIGNALS if f"w_{s}" in Settings.model_fields}
    if not fields:
        cal.notes.append("Settings has no w_<signal> fields: weights are reported, not written")
    fitted = {s: f for s, f in fields.items() if cal.auc.get(s) is not None}
    for signal, field in fields.items():
        if signal not in fitted:
            cal.notes.append(f"{signal}: too few right/wrong candidates; {field} kept")
    raw = {s: 0.0 if (a := cal.auc[s]) is None or a <= MIN_AUC else 2 * (a - 0.5) for s in fitted}
    scale = sum(float(getattr(settings, f)) for f in fitted.values())  # fitted weights keep their sum
    total = sum(raw.values())
    for signal, field in fitted.items():
        cal.values[field] = round(raw[signal] / total * scale, 4) if total > 0 else 0.0


def fit(records: Sequence[Record], settings: Settings) -> Calibration:
    """Weights and thresholds from the candidates of ``records`` (assay recipes; peers have no scores)."""
    cands = [c for r in records if r.error is None for c in r.candidates]
    cal = Calibration()
    for signal in (*SIGNALS, "total"):
        pairs = signal_pairs(cands, signal)
        right = sum(ok for _, ok in pairs)
        cal.counts[signal] = [right, len(pairs) - right]
        enough = right >= MIN_CLASS and len(pairs) - right >= MIN_CLASS
        cal.auc[signal] = roc_auc(pairs) if enough else None
    _weights(cal, settings)
    for field, signal in THRESHOLDS.items():
        pairs = signal_pairs(cands, signal)
        cut = youden_cut(pairs) if cal.auc.get(signal) is not None else None
        if cut is None:
            cal.notes.append(f"{field}: too few right/wrong candidates on {signal}; kept {getattr(settings, field)}")
        else:
            cal.values[field] = round(min(0.99, max(0.01, cut)), 4)
    return cal


def write_toml(cal: Calibration, path: Path, source: str) -> Path:
    """A flat settings TOML (the keys are ``Settings`` fields) with the AUCs as comments."""
    lines = [f"# assay settings fitted by `assay bench --calibrate` on {source}", "# per-signal AUC (held-in):"]
    lines += [f"#   {s}: {'n/a' if a is None else f'{a:.3f}'} {cal.counts.get(s)}" for s, a in cal.auc.items()]
    lines += [f"# note: {n}" for n in cal.notes]
    lines += [f"{key} = {value}" for key, value in sorted(cal.values.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
