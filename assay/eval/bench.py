"""The ``assay bench`` flow: load a split, run the recipes, report; ``--calibrate`` fits on a held-in split
first and evaluates on a disjoint one with the fitted settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from assay.errors import InputError
from assay.eval.calibrate import Calibration, fit, write_toml
from assay.eval.datasets import get_dataset
from assay.eval.harness import BenchPlan, bench_context, run_bench
from assay.eval.plots import write_plots
from assay.eval.progress import BenchProgress
from assay.eval.records import Results, load_results, results_path, save_results
from assay.eval.report import Summary, markdown, summarize, table
from assay.eval.types import Dataset, Item
from assay.settings import Settings, load_settings

_SETTINGS_SHOWN = ("model", "base_url", "samples", "max_tokens", "temperature", "kind_temperature",
                   "greedy_margin", "tau_agreement", "tau_reward", "tau_confident", "max_rounds", "budget_calls",
                   "budget_tokens", "w_confidence", "w_agreement", "w_reward", "w_steps", "w_evidence",
                   "refuted_cap")  # fmt: skip


@dataclass
class BenchOptions:
    dataset: str
    graphs: list[str]
    limit: int | None = 20
    offset: int = 0
    seed: int = 42
    concurrency: int = 8
    out: Path | None = None
    resume: bool = False
    max_seconds: float = 3600.0
    calibrate: bool = False
    calib_limit: int | None = None
    calib_offset: int | None = None
    calib_seed: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


def default_out(settings: Settings, opts: BenchOptions) -> Path:
    return settings.home / "bench" / f"{opts.dataset}-s{opts.seed}-o{opts.offset}-n{opts.limit or 'all'}"


def meta(opts: BenchOptions, dataset: Dataset, settings: Settings, split: str) -> dict[str, Any]:
    return {
        "dataset": dataset.name, "source": dataset.source, "licence": dataset.licence, "split": split,
        "seed": opts.seed, "offset": opts.offset, "limit": opts.limit, "graphs": opts.graphs,
        "concurrency": opts.concurrency, "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, py {platform.python_version()}",
        "settings": {k: getattr(settings, k) for k in _SETTINGS_SHOWN},
    }  # fmt: skip


def prepare(out: Path, resume: bool, fresh_meta: dict[str, Any]) -> Results:
    path = results_path(out)
    if path.exists():
        if not resume:
            raise InputError(f"{path} exists; pass --resume to continue it or --out for a new folder")
        results = load_results(path)
        results.meta.setdefault("resumed", []).append(fresh_meta["date"])
        return results
    return Results(meta=fresh_meta)


async def run_split(opts: BenchOptions, settings: Settings, items: list[Item], out: Path, split: str,
                    console: Console) -> Results:  # fmt: skip
    dataset = get_dataset(opts.dataset, settings)
    async with bench_context(settings, dataset) as ctx:  # its settings are the ones the runs use: recorded
        results = prepare(out, opts.resume, meta(opts, dataset, ctx.settings, split))
        out.mkdir(parents=True, exist_ok=True)
        save_results(results, results_path(out))
        with BenchProgress(opts.graphs, len(items), console) as progress:
            plan = BenchPlan(
                dataset=dataset,
                items=items,
                graphs=opts.graphs,
                out=out,
                concurrency=opts.concurrency,
                max_seconds=opts.max_seconds,
                on_start=progress.on_start,
                on_done=progress.on_done,
            )
            return await run_bench(plan, results, ctx)


def load_items(opts: BenchOptions, settings: Settings, *, offset: int, limit: int | None, seed: int) -> list[Item]:
    items = get_dataset(opts.dataset, settings).load(
        limit=limit, offset=offset, seed=seed, cache=settings.home / "eval"
    )
    if not items:
        raise InputError(f"{opts.dataset} has no items at offset {offset}")
    return items


def held_in(opts: BenchOptions, settings: Settings, eval_ids: set[str]) -> list[Item]:
    """The calibration split; it must not share an item with the evaluation split."""
    limit = opts.calib_limit or opts.limit
    offset = opts.calib_offset if opts.calib_offset is not None else opts.offset + (opts.limit or 0)
    seed = opts.calib_seed if opts.calib_seed is not None else opts.seed
    items = load_items(opts, settings, offset=offset, limit=limit, seed=seed)
    shared = [i.id for i in items if i.id in eval_ids]
    if shared:
        raise InputError(
            f"the calibration split shares {len(shared)} items with the evaluation split (e.g. {shared[0]})"
        )
    return items


async def calibrate(opts: BenchOptions, settings: Settings, out: Path, eval_ids: set[str],
                    console: Console) -> tuple[Calibration, Path]:  # fmt: skip
    items = held_in(opts, settings, eval_ids)
    console.print(f"calibration: {len(items)} held-in items ({items[0].id} .. {items[-1].id})", highlight=False)
    results = await run_split(opts, settings, items, out / "calibration", "held-in", console)
    shown = results.meta.get("settings", {})  # the run's own weights and thresholds (the model's tuned ones)
    cal = fit(results.records, settings.updated({k: v for k, v in shown.items() if k.startswith(("w_", "tau_"))}))
    path = write_toml(cal, out / "calibrated.toml", f"{opts.dataset} {items[0].id}..{items[-1].id}")
    return cal, path


async def bench(opts: BenchOptions, console: Console) -> tuple[Results, Path]:
    settings = load_settings(**opts.overrides)
    out = opts.out or default_out(settings, opts)
    items = load_items(opts, settings, offset=opts.offset, limit=opts.limit, seed=opts.seed)
    if opts.calibrate:
        cal, path = await calibrate(opts, settings, out, {i.id for i in items}, console)
        console.print(f"calibrated settings written to {path}: {cal.values}", highlight=False)
        settings = load_settings(**{**opts.overrides, **cal.values})
    split = "evaluation (disjoint from calibration)" if opts.calibrate else "evaluation"
    return await run_split(opts, settings, items, out, split, console), out


def report(results: Results, out: Path, console: Console, *, plots_to: Path | None = None) -> list[Summary]:
    """Print the table; write summary.json, table.md and the PNGs next to results.json (or to ``plots_to``)."""
    summaries = summarize(results)
    name = str(results.meta.get("dataset", "bench"))
    console.print(table(summaries, title=f"{name} ({results.meta.get('split', '')})"))
    (out / "table.md").write_text(markdown(summaries), encoding="utf-8")
    (out / "summary.json").write_text(
        "[\n" + ",\n".join(s.model_dump_json() for s in summaries) + "\n]\n", encoding="utf-8"
    )
    for png in write_plots(summaries, plots_to or out, name):
        console.print(f"plot: {png}", highlight=False)
    return summaries


def run_bench_command(opts: BenchOptions, console: Console) -> Path:
    results, out = asyncio.run(bench(opts, console))
    report(results, out, console)
    return out
