"""Offline signal check: does "the answer appears verbatim in the passages retrieved for the question" separate
right from wrong SQuAD candidates? (The check is the shipped one, ``assay.agents._grounding``.)

Reads recorded `assay bench squad` results (no model calls): for every adaptive candidate, the SQuAD-normalised
answer (at most six words) is searched in the top-3 passages the BM25 retriever finds for the question. Prints,
per file, the candidates, how many are right, how many grounded, the AUC of grounding and of the recorded
total, and what a grounded-first pick would return: the best-total grounded candidate of each run, or the
recorded answer when none is grounded (``picks_right`` recorded vs ``grounded_first_right``).

    python benchmarks/signals/span_grounding.py benchmarks/results/2026-12-01/squad-60-79/results.json ...

Measured 2026-12-01 on the held-in records (squad, squad-20-39-reader-v1, squad-60-79): AUC of grounding
0.83, 0.64, 0.80; 7 of the 26 grounded candidates were right, against 12 of 498 candidates overall.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from assay.agents._grounding import PASSAGES, grounded, passage_text
from assay.eval.squad import Squad
from assay.settings import load_settings
from assay.signals.auc import auc


def grounded_first(rec: dict[str, Any], text: str) -> bool:
    """Would the best-total grounded candidate (else the recorded pick) be right?"""
    pool = [c for c in rec["candidates"] if grounded(c["answer"], text) is True]
    if not pool:
        return bool(rec["correct"])
    return bool(max(pool, key=lambda c: c["scores"]["total"] or 0.0)["correct"])


async def check(paths: list[Path]) -> list[dict[str, Any]]:
    settings = load_settings()
    squad = Squad()
    questions = {i.id: i.task.question for i in squad.load(limit=None, offset=0, seed=42, cache=settings.home / "eval")}
    retriever = squad.retriever(settings.home / "eval", settings.home / "search")
    out = []
    for path in paths:
        records = [r for r in json.loads(path.read_text())["records"] if r["recipe"] == "adaptive"]
        ground: list[tuple[float, bool]] = []
        totals: list[tuple[float, bool]] = []
        first_right = 0
        for rec in records:
            text = passage_text(await retriever.search(questions[rec["item_id"]], k=PASSAGES))
            for cand in rec["candidates"]:
                ground.append((float(grounded(cand["answer"], text) is True), bool(cand["correct"])))
                totals.append((cand["scores"]["total"] or 0.0, bool(cand["correct"])))
            first_right += grounded_first(rec, text)
        out.append({
            "file": str(path), "candidates": len(ground), "right": sum(ok for _, ok in ground),
            "grounded": int(sum(g for g, _ in ground)), "grounded_right": sum(1 for g, ok in ground if g and ok),
            "auc_grounded": auc(ground), "auc_total": auc(totals),
            "runs": len(records), "picks_right": sum(bool(r["correct"]) for r in records),
            "grounded_first_right": first_right,
        })  # fmt: skip
    return out


if __name__ == "__main__":
    for row in asyncio.run(check([Path(p) for p in sys.argv[1:]])):
        print(json.dumps(row))
