"""Write the items a peer may see: ``items.jsonl`` with assay's solver messages per problem (assay venv).

    .venv/bin/python benchmarks/peers/export_items.py humaneval --limit 20 --offset 0 --seed 42 --out DIR

Each line holds the id, the kind, the system and user messages of assay's solver, the question, the entry
point and the *visible* tests (docstring examples). Hidden tests and gold answers stay in assay: only
``score_peers.py`` reads them, through the same dataset scorer ``assay bench`` uses. ``DIR/split.json``
records the split so the scorer reloads the same items.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.agents.solver import PROMPTS, user_prompt
from assay.context import RunContext
from assay.eval.datasets import get_dataset
from assay.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    settings = load_settings()
    dataset = get_dataset(args.dataset, settings)
    items = dataset.load(limit=args.limit, offset=args.offset, seed=args.seed, cache=settings.home / "eval")
    ctx = RunContext(settings=settings, llm=None)  # type: ignore[arg-type]  # prompts only, no calls
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "items.jsonl").open("w", encoding="utf-8") as fh:
        for item in items:
            task = item.task
            row = {"id": item.id, "kind": task.kind, "system": PROMPTS["system"], "user": user_prompt(task, ctx),
                   "question": task.question, "entry_point": task.entry_point, "tests": task.tests}  # fmt: skip
            fh.write(json.dumps(row) + "\n")
    split = {"dataset": dataset.name, "limit": args.limit, "offset": args.offset, "seed": args.seed}
    (args.out / "split.json").write_text(json.dumps(split), encoding="utf-8")
    print(f"{len(items)} items -> {args.out / 'items.jsonl'}")


if __name__ == "__main__":
    main()
