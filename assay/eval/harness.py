"""Run recipes over benchmark items: many runs in flight on one shared client, checkpointer and server.

Recipes run one after another (so the server's ``/metrics`` deltas belong to one recipe); each recipe's items
run concurrently through ``assay.run``. Every finished (item, recipe) pair is scored by the dataset's hidden
scorer and written to ``results.json`` at once. Thread ids are deterministic (``bench:<recipe>:<item>``), so
after a kill ``--resume`` skips finished pairs and the checkpointer resumes the runs that were in flight.
Runs bind on tokens and calls; their time limit is generous and the seconds are recorded, because on a
loaded machine the wall clock measures the load, not the recipe.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assay.context import RunContext
from assay.eval.metrics import delta, scrape
from assay.eval.records import TEXT_CHARS, CandidateRecord, Record, Results, save_results
from assay.eval.types import Dataset, Item
from assay.runtime import Checkpointer, client_context, open_checkpointer, run
from assay.settings import Settings
from assay.state import Budget, Flips, RunState

OnDone = Callable[[str, Record], None]


@dataclass
class BenchPlan:
    dataset: Dataset
    items: list[Item]
    graphs: list[str]
    out: Path
    concurrency: int = 8
    max_seconds: float = 3600.0
    on_start: Callable[[str, int, list[Record]], None] = lambda recipe, todo, done: None
    on_done: OnDone = lambda recipe, record: None
    extra_roots: list[str] = field(default_factory=list)  # more servers whose /metrics to read


def thread_id(recipe: str, item: Item) -> str:
    return f"bench:{recipe}:{item.id}"


def count_flips(cands: Sequence[CandidateRecord]) -> Flips:
    """Right/wrong transitions of every revision whose parent is in the pool, by true correctness (A3)."""
    by_id = {c.id: c for c in cands}
    flips = Flips()
    for cand in cands:
        parent = by_id.get(cand.parent) if cand.parent else None
        if parent is None:
            continue
        key = f"{'right' if parent.correct else 'wrong'}_to_{'right' if cand.correct else 'wrong'}"
        setattr(flips, key, getattr(flips, key) + 1)
    return flips


async def score_state(dataset: Dataset, item: Item, recipe: str, state: RunState, latency_s: float) -> Record:
    """The record of a finished run; each distinct answer is scored once."""
    cache: dict[str | None, bool] = {}

    async def scored(answer: str | None) -> bool:
        if answer not in cache:
            cache[answer] = await dataset.score(item, answer)
        return cache[answer]

    cands = [
        CandidateRecord(id=c.id, origin=c.origin, parent=c.parent, round=c.round, answer=c.answer,
                        scores=c.scores, correct=await scored(c.answer), text=c.text[:TEXT_CHARS])
        for c in state.candidates
    ]  # fmt: skip
    return Record(
        item_id=item.id, recipe=recipe, correct=await scored(state.answer), answer=state.answer,
        prompt_tokens=state.usage.prompt_tokens, completion_tokens=state.usage.completion_tokens,
        calls=state.usage.calls, latency_s=latency_s, elapsed_s=state.elapsed_s, stopped_by=state.stopped_by,
        routes=[r.model_dump() for r in state.routes], flips=count_flips(cands), candidates=cands,
    )  # fmt: skip


async def run_item(plan: BenchPlan, recipe: str, item: Item, ctx: RunContext, saver: Checkpointer) -> Record:
    budget = Budget(
        max_calls=ctx.settings.budget_calls, max_tokens=ctx.settings.budget_tokens, max_seconds=plan.max_seconds
    )
    start = time.perf_counter()
    try:
        state = await run(item.task, graph=recipe, ctx=ctx, thread_id=thread_id(recipe, item), budget=budget,
                          checkpointer=saver)  # fmt: skip
    except Exception as exc:  # one broken run (server gone, recipe bug) is an error record, not a dead bench
        error = (f"{type(exc).__name__}: {exc}".splitlines() or [type(exc).__name__])[0]
        return Record(item_id=item.id, recipe=recipe, correct=False, latency_s=time.perf_counter() - start,
                      error=error)  # fmt: skip
    return await score_state(plan.dataset, item, recipe, state, time.perf_counter() - start)


def server_roots(ctx: RunContext, extra: Sequence[str] = ()) -> list[str]:
    clients = [c for c in (ctx.llm, ctx.judge, ctx.embedder) if c is not None]
    return list(dict.fromkeys([root for c in clients for root in c.base_urls] + list(extra)))


async def run_recipe(plan: BenchPlan, recipe: str, results: Results, ctx: RunContext, saver: Checkpointer) -> None:
    """All not-yet-finished items of ``recipe``, ``plan.concurrency`` at a time; saves after each."""
    finished = {i for i, r in results.done() if r == recipe and _ok(results, i, r)}
    todo = [item for item in plan.items if item.id not in finished]
    plan.on_start(recipe, len(todo), [r for r in results.records if r.recipe == recipe and r.item_id in finished])
    if not todo:
        return
    slots, lock = asyncio.Semaphore(plan.concurrency), asyncio.Lock()
    path = plan.out / "results.json"

    async def one(item: Item) -> None:
        async with slots:
            record = await run_item(plan, recipe, item, ctx, saver)
        async with lock:
            results.add(record)
            save_results(results, path)
        plan.on_done(recipe, record)

    roots = server_roots(ctx, plan.extra_roots)
    before = await scrape(roots)
    await asyncio.gather(*(one(item) for item in todo))
    results.add_server(recipe, delta(before, await scrape(roots)))
    save_results(results, path)


def _ok(results: Results, item_id: str, recipe: str) -> bool:
    """A pair counts as finished unless its record is an error (those are re-run on resume)."""
    return any(r.item_id == item_id and r.recipe == recipe and r.error is None for r in results.records)


@asynccontextmanager
async def bench_context(settings: Settings, dataset: Dataset) -> AsyncIterator[RunContext]:
    """One context for every run: clients from the settings and, for QA sets, the dataset's retriever."""
    make_retriever = getattr(dataset, "retriever", None)
    retriever = make_retriever(settings.home / "eval", settings.home / "search") if make_retriever else None
    async with client_context(settings, retriever) as ctx:
        yield ctx


async def run_bench(plan: BenchPlan, results: Results, ctx: RunContext) -> Results:
    """Every recipe of the plan over its items, with one checkpointer under ``plan.out``."""
    async with open_checkpointer(plan.out / "checkpoints.sqlite") as saver:
        for recipe in plan.graphs:
            await run_recipe(plan, recipe, results, ctx, saver)
    return results
