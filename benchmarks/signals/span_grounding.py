"""Offline signal check: does "the answer appears verbatim in the passages retrieved for the question" separate
right from wrong SQuAD candidates? (A candidate signal for issue 13, not wired into scoring.)

Reads recorded `assay bench squad` results (no model calls): for every adaptive candidate, the SQuAD-normalised
answer (at most six words) is searched in the top-3 passages the BM25 retriever finds for the question. Prints,
per file, the candidates, how many are right, how many grounded, and the AUC of grounding and of the recorded
total.

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

from assay.eval.squad import Squad
from assay.settings import load_settings
from assay.signals._normalize import normalize_answer
from assay.signals.auc import auc

MAX_WORDS = 6


def grounded(answer: str | None, text: str) -> bool:
    key = normalize_answer(answer or "", "qa") or ""
    return bool(key) and len(key.split()) <= MAX_WORDS and f" {key} " in f" {text} "


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
        for rec in records:
            passages = await retriever.search(questions[rec["item_id"]], k=3)
            text = " ".join(normalize_answer(f"{p.title} {p.text}", "qa") or "" for p in passages)
            for cand in rec["candidates"]:
                ground.append((float(grounded(cand["answer"], text)), bool(cand["correct"])))
                totals.append((cand["scores"]["total"] or 0.0, bool(cand["correct"])))
        out.append({
            "file": str(path), "candidates": len(ground), "right": sum(ok for _, ok in ground),
            "grounded": int(sum(g for g, _ in ground)), "grounded_right": sum(1 for g, ok in ground if g and ok),
            "auc_grounded": auc(ground), "auc_total": auc(totals),
        })  # fmt: skip
    return out


if __name__ == "__main__":
    for row in asyncio.run(check([Path(p) for p in sys.argv[1:]])):
        print(json.dumps(row))
