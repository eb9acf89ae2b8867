"""Figures from a ``measure.py run`` file: accuracy, confident-but-wrong, AUC per signal, cost (Markdown)."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import fmean, median
from typing import Any

from assay.signals.auc import signal_auc, suggest_weights
from assay.state import Candidate, Evidence, Scores

CONFIDENT = ("verified", "confident")
KINDS = ("math", "qa", "code", "open")


def _tasks() -> dict[str, dict[str, Any]]:
    lines = (Path(__file__).parent / "tasks.jsonl").read_text().splitlines()
    return {t["id"]: t for t in (json.loads(line) for line in lines if line.strip())}


def qa_right(answer: str | None, task: dict[str, Any]) -> bool:
    """A QA answer is right when it names the reference once a restated question is cut off ("The capital of
    Japan is Tokyo." is right for "Tokyo", as a user reads it)."""
    from assay.signals._normalize import answers_match, trim_restatement

    return bool(answer) and answers_match(trim_restatement(answer or "", task["question"]), task["reference"], "qa")


def _load(path: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    tasks = _tasks()
    for rec in records:  # re-grade QA with the same rule for every tree (older runs graded the raw sentence)
        if rec.get("kind") == "qa" and "error" not in rec:
            for c in rec.get("candidates", []):
                c["correct"] = qa_right(c["answer"], tasks[rec["id"]])
            rec["right"] = qa_right(rec.get("answer"), tasks[rec["id"]])
    return records


def _confident(rec: dict[str, Any]) -> bool:
    """The verdict when the tree has one; for older trees what the user read: 'stopped by confident/easy'."""
    if rec.get("verdict") is not None:
        return rec["verdict"] in CONFIDENT
    return rec.get("stopped_by") in ("confident", "easy")


def _pool(records: list[dict[str, Any]]) -> tuple[list[Candidate], list[Evidence]]:
    cands, evidence = [], []
    for rec in records:
        for c in rec.get("candidates", []):
            scores = Scores(**c["scores"])
            cands.append(Candidate(id=f"{rec['id']}:{c['id']}", text="", answer=c["answer"], origin=c["origin"],
                                   round=c["round"], scores=scores, verbal_confidence=c["verbal"],
                                   correct=c["correct"]))  # fmt: skip
        for i, e in enumerate(rec.get("evidence", [])):
            evidence.append(Evidence(id=f"{rec['id']}:{i}", candidate_id=f"{rec['id']}:{e['candidate_id']}",
                                     tool=e["tool"], input="", outcome="", passed=e["passed"],
                                     details=e["details"]))  # fmt: skip
    return cands, evidence


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} ({100 * num / den:.0f} %)" if den else "-"


def _refuted_confident(rec: dict[str, Any]) -> bool:
    """Said confident although a decisive tool refuted the final answer."""
    from assay.signals.scoring import DECISIVE_FAIL

    cands = rec.get("candidates", [])
    best = next((c for c in cands if c["id"] == rec.get("best_id")), None)
    if best is None:  # older records: the best-scored candidate that gave the final answer
        same = [c for c in cands if c["answer"] == rec.get("answer")]
        best = max(same, key=lambda c: c["scores"].get("total") or -1.0, default=None)
    if best is None or not _confident(rec):
        return False
    mine = [e for e in rec.get("evidence", []) if e["candidate_id"] == best["id"] and e["passed"] is False]
    return any(e["details"].get("decisive", e["tool"] in DECISIVE_FAIL) for e in mine)


def _rows(records: list[dict[str, Any]]) -> list[str]:
    rows = ["| kind | tasks | accuracy | said confident | confident & wrong | calls/task | s/task (median) |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for kind in (*KINDS, "all"):
        recs = [r for r in records if (kind == "all" or r["kind"] == kind) and "error" not in r]
        if not recs:
            continue
        right = sum(bool(r["right"]) for r in recs)
        conf = [r for r in recs if _confident(r)]
        wrong_conf = sum(not r["right"] for r in conf)
        rows.append(
            f"| {kind} | {len(recs)} | {_pct(right, len(recs))} | {_pct(len(conf), len(recs))} | "
            f"{_pct(wrong_conf, len(recs))} | {fmean(r['calls'] for r in recs):.1f} | "
            f"{median(r['seconds'] for r in recs):.1f} |"
        )
    return rows


def _rescored(cands: list[Candidate], evidence: list[Evidence], kinds: dict[str, str]) -> dict[str, float | None]:
    """AUC of the total the CURRENT formula and Settings weights give the recorded signals and evidence."""
    from assay.signals.auc import auc
    from assay.signals.scoring import Weights, combine, evidence_status

    by_cand: dict[str, list[Evidence]] = {}
    for e in evidence:
        by_cand.setdefault(e.candidate_id, []).append(e)
    pairs = []
    for c in cands:
        status = evidence_status(c, by_cand.get(c.id, []), kinds[c.id.split(":")[0]])
        pairs.append((combine(c.scores, Weights(), status), bool(c.correct)))
    return {"total (current weights)": auc(pairs)}


def _auc_rows(records: list[dict[str, Any]]) -> list[str]:
    rows = ["| signal | " + " | ".join((*KINDS, "all")) + " |", "|---|" + "---|" * (len(KINDS) + 1)]
    per: dict[str, dict[str, float | None]] = {}
    kinds = {r["id"]: r["kind"] for r in records}
    for kind in (*KINDS, "all"):
        cands, evidence = _pool([r for r in records if kind == "all" or r["kind"] == kind])
        per[kind] = signal_auc(cands, evidence) | _rescored(cands, evidence, kinds)
    names = sorted({n for v in per.values() for n in v}, key=lambda n: (n.startswith("tool:"), n))
    for name in names:
        cells = [per[k].get(name) for k in (*KINDS, "all")]
        rows.append(f"| {name} | " + " | ".join("-" if v is None else f"{v:.2f}" for v in cells) + " |")
    rows.append("")
    rows.append(f"suggested weights (all kinds): {suggest_weights(per['all'])}")
    return rows


def report(path: Path) -> str:
    records = _load(path)
    errors = [r for r in records if "error" in r]
    cands, _ = _pool(records)
    lines = [f"## {path.name}: {len(records)} tasks, {len(cands)} candidates, {len(errors)} failed runs", ""]
    lines += _rows(records)
    refuted = sum(_refuted_confident(r) for r in records if "error" not in r)
    lines += ["", f"confident although a decisive tool refuted the answer: {refuted}", "", "AUC (right vs wrong "
              "candidates; 0.5 = chance):", ""]  # fmt: skip
    lines += _auc_rows(records)
    return "\n".join(lines) + "\n"
