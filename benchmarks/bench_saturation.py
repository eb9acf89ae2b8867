"""Benchmark: does assay keep the vLLM engine as busy as raw requests do? (issue 10: >= 0.9x raw vLLM)

Two ways to send the same work to the same server, alternated ``--rounds`` times so drift hits both:

  raw    the exact chat requests assay's solver sends (same messages, ``n``, temperature 0, ``max_tokens``,
         seed, logprobs), ``--runs`` in flight at once, straight over httpx
  assay  ``--runs`` concurrent ``assay.runtime.run(task, graph=...)`` calls sharing one RunContext and one
         SQLite checkpointer (the real runtime path: graph, state, checkpoints, retries, accounting)

Greedy decoding (or the same seed) makes both sides generate the same tokens, so the lengths match; what
differs is assay's orchestration between the requests. The figure is generated tokens per second, assay / raw
(median of the
rounds). Run it on a server nothing else uses: other traffic makes both sides slower at random.

    python benchmarks/bench_saturation.py [--model qwen2.5-coder-0.5b] [--runs 32] [--rounds 3]
        [--max-tokens 128] [--graph single|self-consistency]

Prints a table and writes benchmarks/results/saturation.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from assay.agents._common import messages
from assay.agents.solver import PROMPTS, user_prompt
from assay.context import RunContext
from assay.llm.models import resolve_endpoint
from assay.prompts import get_prompt
from assay.runtime import client_context, run
from assay.settings import Settings, load_settings
from assay.state import Budget, Task

RESULTS = Path(__file__).parent / "results" / "saturation.json"


def tasks(count: int) -> list[Task]:
    """``count`` distinct short math word problems (a fixed, dependency-free set)."""
    out = []
    for i in range(count):
        a, b, c = 3 + i, 7 + 2 * i, 2 + i % 5
        question = f"A shop packs {a} boxes with {b} pencils each and sells {c} boxes. How many pencils are left?"
        out.append(Task(question=question, kind="math"))
    return out


def request_body(task: Task, ctx: RunContext, n: int) -> dict[str, Any]:
    """The body of the solver's request for ``task`` as ``solve`` builds it: ``single`` is greedy, a sampling
    recipe uses the sampling temperature; the seed (the round, 0) makes both sides sample the same tokens."""
    system = get_prompt(ctx, "solver", "system", PROMPTS)
    return {
        "model": ctx.settings.model,
        "messages": [m.model_dump() for m in messages(system, user_prompt(task, ctx))],
        "n": n,
        "temperature": 0.0 if n == 1 else ctx.settings.temperature,
        "max_tokens": ctx.settings.max_tokens,
        "seed": 0,
        "logprobs": True,
        "top_logprobs": 1,
    }


async def raw_round(url: str, bodies: list[dict[str, Any]]) -> tuple[float, int]:
    """Wall seconds and generated tokens for all ``bodies`` sent at once."""
    async with httpx.AsyncClient(timeout=3600.0, limits=httpx.Limits(max_connections=len(bodies))) as http:
        began = time.perf_counter()
        replies = await asyncio.gather(*(http.post(f"{url}/v1/chat/completions", json=b) for b in bodies))
        wall = time.perf_counter() - began
    for reply in replies:
        reply.raise_for_status()
    return wall, sum(int(r.json()["usage"]["completion_tokens"]) for r in replies)


async def assay_round(ctx: RunContext, graph: str, batch: list[Task], rnd: int) -> tuple[float, int]:
    budget = Budget(max_calls=10, max_tokens=10**6, max_seconds=3600)
    began = time.perf_counter()
    states = await asyncio.gather(
        *(run(t, graph=graph, ctx=ctx, budget=budget, thread_id=f"sat-{rnd}-{i}") for i, t in enumerate(batch))
    )
    wall = time.perf_counter() - began
    return wall, sum(s.usage.completion_tokens for s in states)


async def measure(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    endpoint = resolve_endpoint(settings, "generator")
    assert endpoint is not None
    batch = tasks(args.runs)
    n = settings.samples if args.graph == "self-consistency" else 1
    rows: list[dict[str, float]] = []
    async with client_context(settings) as ctx:
        bodies = [request_body(t, ctx, n) for t in batch]
        await raw_round(endpoint.base_urls[0], bodies[:2])  # warm the prefix cache for neither side's benefit
        for rnd in range(args.rounds):
            raw_s, raw_tok = await raw_round(endpoint.base_urls[0], bodies)
            assay_s, assay_tok = await assay_round(ctx, args.graph, batch, rnd)
            rows.append({"raw_s": raw_s, "raw_tokens": raw_tok, "assay_s": assay_s, "assay_tokens": assay_tok,
                         "ratio": (assay_tok / assay_s) / (raw_tok / raw_s)})  # fmt: skip
            print(f"round {rnd + 1}: raw {raw_tok / raw_s:.1f} tok/s, assay {assay_tok / assay_s:.1f} tok/s, "
                  f"ratio {rows[-1]['ratio']:.3f}")  # fmt: skip
    ratio = statistics.median(r["ratio"] for r in rows)
    return {"model": settings.model, "graph": args.graph, "runs": args.runs, "n": n,
            "max_tokens": settings.max_tokens, "rounds": rows, "median_ratio": ratio,
            "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--graph", default="single", choices=["single", "self-consistency"])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = load_settings(model=args.model) if args.model else load_settings()
        settings = base.model_copy(update={"max_tokens": args.max_tokens, "checkpoint_path": Path(tmp) / "cp.sqlite"})
        result = asyncio.run(measure(settings, args))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"assay / raw generated tokens per second: {result['median_ratio']:.3f} (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
