"""Score peer answers with assay's own extraction and dataset scorer; write ``results.json`` (assay venv).

    .venv/bin/python benchmarks/peers/score_peers.py DIR      # reads DIR/split.json, DIR/answers.jsonl

The answer is extracted from the peer's reply exactly as from an assay candidate (``extract_answer`` for
the task kind) and scored by the hidden scorer ``assay bench`` uses. Tokens: the client columns hold what
the peer reported (OptiLLM's usage, DSPy's LM history); the server columns are the ``/metrics`` deltas,
counted the same way as for assay. Render with ``assay bench --report DIR/results.json --report ...``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from assay.agents._extract import extract_answer
from assay.eval.datasets import get_dataset
from assay.eval.records import CandidateRecord, Record, Results, ServerCount, save_results
from assay.settings import load_settings


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def score(folder: Path) -> Results:
    split = json.loads((folder / "split.json").read_text(encoding="utf-8"))
    settings = load_settings()
    dataset = get_dataset(split["dataset"], settings)
    items = {i.id: i for i in dataset.load(limit=split["limit"], offset=split["offset"], seed=split["seed"],
                                           cache=settings.home / "eval")}  # fmt: skip
    results = Results(meta={**split, "dataset": dataset.name, "source": dataset.source, "split": "peers",
                            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})  # fmt: skip
    for row in _rows(folder / "answers.jsonl"):
        if "server" in row:
            results.add_server(row["method"], ServerCount(**row["server"]))
            continue
        item = items[row["id"]]
        answer = extract_answer(row["text"], item.task.kind) if row["text"] else None
        ok = await dataset.score(item, answer)
        usage = row.get("usage") or {}
        results.add(Record(
            item_id=item.id, recipe=row["method"], correct=ok, answer=answer, error=row.get("error"),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            calls=int(usage.get("calls") or 1), latency_s=float(row["latency_s"]),
            candidates=[CandidateRecord(id="final", answer=answer, correct=ok)],
        ))  # fmt: skip
    return results


def main() -> None:
    folder = Path(sys.argv[1])
    results = asyncio.run(score(folder))
    save_results(results, folder / "results.json")
    for recipe in results.recipes():
        recs = [r for r in results.records if r.recipe == recipe]
        print(f"{recipe}: {sum(r.correct for r in recs)}/{len(recs)} correct, server {results.server.get(recipe)}")


if __name__ == "__main__":
    main()
