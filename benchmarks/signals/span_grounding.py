"""Offline signal check: does "the answer appears verbatim in the passages retrieved for it" separate right from
wrong QA candidates? The check is the shipped one (``assay.agents._grounding``); no model calls.

Reads recorded runs: `assay bench squad` results (``results.json``, the adaptive records, SQuAD's retriever) or
`benchmarks/signals/measure.py` records (``*.jsonl``, the QA tasks, the default offline retriever). For every
labelled candidate it looks up the answer in the top passages for the question and for the answer's claim, and
prints per file: candidates, right ones, right ones grounded / ungrounded / undecided (too long to be a span),
the AUC of "not ungrounded", and what an ungrounded-last pick would return: the best-total candidate that is
not ungrounded, or the recorded answer when every candidate is ungrounded or none is (``picks_right``
recorded vs ``ungrounded_last_right``).

    python benchmarks/signals/span_grounding.py benchmarks/results/2026-12-01/squad*/results.json \\
        benchmarks/signals/results/qwen-qa-after-reader-2026-12-01.jsonl

``--question-only`` looks in the question's passages alone (the first rule tried, before the claim's were added).

Measured 2026-12-02 on the held-in records named above (qwen2.5-coder-0.5b): see docs/signals.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from assay.agents._grounding import Grounder, grounded
from assay.eval.squad import Squad
from assay.settings import load_settings
from assay.signals.auc import auc
from assay.tools.search import default_retriever
from assay.tools.types import Retriever

Run = tuple[str, list[dict[str, Any]], bool]  # question, labelled candidates, recorded pick right


def bench_runs(path: Path, questions: dict[str, str]) -> list[Run]:
    records = [r for r in json.loads(path.read_text())["records"] if r["recipe"] == "adaptive"]
    return [(questions[r["item_id"]], r["candidates"], bool(r["correct"])) for r in records]


def measure_runs(path: Path, questions: dict[str, str]) -> list[Run]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(questions[r["id"]], r["candidates"], bool(r["right"])) for r in rows if r["kind"] == "qa"]


QUESTION_ONLY = "--question-only" in sys.argv


async def judged(run: Run, retriever: Retriever) -> list[tuple[bool | None, bool, float]]:
    """(grounded, right, total) for each labelled candidate of one run."""
    question, cands, _ = run
    grounder = Grounder(question, retriever)
    out = []
    for cand in (c for c in cands if c.get("correct") is not None and c.get("answer")):
        text = await (grounder.question_text() if QUESTION_ONLY else grounder.text(cand["answer"]))
        out.append((grounded(cand["answer"], text), bool(cand["correct"]), float(cand["scores"]["total"] or 0.0)))
    return out


async def summary(runs: list[Run], retriever: Retriever) -> dict[str, Any]:
    pairs: list[tuple[float, bool]] = []
    right = {"grounded": 0, "ungrounded": 0, "undecided": 0}
    picks = 0
    for run in runs:
        rows = await judged(run, retriever)
        for g, ok, _ in rows:
            pairs.append((float(g is not False), ok))
            right[{True: "grounded", False: "ungrounded", None: "undecided"}[g]] += ok
        kept = [(total, ok) for g, ok, total in rows if g is not False]
        picks += max(kept)[1] if kept and len(kept) < len(rows) else run[2]
    return {
        "runs": len(runs), "candidates": len(pairs), "right": right, "auc_not_ungrounded": auc(pairs),
        "picks_right": sum(r[2] for r in runs), "ungrounded_last_right": picks,
    }  # fmt: skip


async def main(paths: list[Path]) -> None:
    settings = load_settings()
    squad = Squad()
    cache = settings.home / "eval"
    squad_questions = {i.id: i.task.question for i in squad.load(limit=None, offset=0, seed=42, cache=cache)}
    tasks_file = Path(__file__).with_name("tasks.jsonl")
    tasks = [json.loads(line) for line in tasks_file.read_text().splitlines() if line.strip()]
    task_questions = {t["id"]: t["question"] for t in tasks}
    for path in paths:
        if path.suffix == ".jsonl":
            runs, retriever = measure_runs(path, task_questions), default_retriever(settings)
        else:
            runs, retriever = bench_runs(path, squad_questions), squad.retriever(cache, settings.home / "search")
        print(json.dumps({"file": str(path), **await summary(runs, retriever)}))


if __name__ == "__main__":
    files = [a for a in sys.argv[1:] if a != "--question-only"]
    if not files or not all(Path(p).is_file() for p in files):
        sys.exit("usage: span_grounding.py [--question-only] RESULTS.json|RECORDS.jsonl ... (recorded runs)")
    asyncio.run(main([Path(p) for p in files]))
