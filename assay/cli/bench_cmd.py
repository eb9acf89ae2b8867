"""``assay bench DATASET --graphs a,b``: accuracy, tokens, calls, latency and flips per recipe (docs/BENCHMARKS.md).

Input is validated before any server is contacted. ``--report`` re-renders the table and plots from
existing results files (e.g. assay's and the peers', merged) without running anything.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assay.errors import InputError

_err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)  # a log file gets the full table
_out = Console(width=None if sys.stdout.isatty() else 200)


def parse_graphs(text: str) -> list[str]:
    from assay.graphs.registry import get_recipe

    names = list(dict.fromkeys(g.strip() for g in text.split(",") if g.strip()))
    if not names:
        raise InputError("--graphs needs at least one recipe name")
    for name in names:
        get_recipe(name)
    return names


def _check(limit: int | None, offset: int, concurrency: int, max_seconds: float) -> None:
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1 (got {limit})")
    if offset < 0:
        raise InputError(f"--offset must be 0 or more (got {offset})")
    if concurrency < 1:
        raise InputError(f"--concurrency must be at least 1 (got {concurrency})")
    if max_seconds <= 0:
        raise InputError(f"--max-seconds must be positive (got {max_seconds})")


def _client_timeout() -> float | None:
    """A generous per-request timeout (1 h) unless ASSAY_TIMEOUT_S is set: with many runs in flight on a
    busy machine one request can wait minutes for its turn, and the bench binds on tokens, not seconds."""
    return None if os.environ.get("ASSAY_TIMEOUT_S") else 3600.0


def _report_only(files: list[Path], out: Path | None, same_items: bool) -> None:
    from assay.eval.bench import report
    from assay.eval.records import common, merge

    for path in files:
        if not path.is_file():
            raise InputError(f"results file {path} does not exist")
    target = out or files[0].parent
    target.mkdir(parents=True, exist_ok=True)
    merged = merge(files)
    report(common(merged) if same_items else merged, target, _out)


def bench_command(
    dataset: Annotated[str, typer.Argument(help="humaneval | gsm_symbolic | champ | squad")] = "humaneval",
    graphs: Annotated[str, typer.Option("--graphs", "-g", help="Comma-separated recipes.")] = "adaptive",
    limit: Annotated[int | None, typer.Option(help="Number of items.")] = 20,
    offset: Annotated[int, typer.Option(help="First item.")] = 0,
    seed: Annotated[int, typer.Option(help="Dataset seed (generated and shuffled sets).")] = 42,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", help="Runs in flight.")] = 8,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Generator model.")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL(s).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default <home>/bench/...).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the results in --out.")] = False,
    max_seconds: Annotated[float, typer.Option(help="Per-run time limit (runs bind on tokens/calls).")] = 3600.0,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Fit thresholds/weights on a held-in split.")] = False,
    calib_limit: Annotated[int | None, typer.Option(help="Held-in items (default: --limit).")] = None,
    calib_offset: Annotated[
        int | None, typer.Option(help="Held-in first item (default: after the eval split).")
    ] = None,
    calib_seed: Annotated[int | None, typer.Option(help="Held-in seed (default: --seed).")] = None,
    report_files: Annotated[
        list[Path] | None, typer.Option("--report", help="Only render these results files.")
    ] = None,
    same_items: Annotated[bool, typer.Option("--common", help="With --report: only items every recipe ran.")] = False,
) -> None:
    """Run recipes on a benchmark set; print the table, write results.json, table.md and PNG plots."""
    if report_files:
        _report_only(report_files, out, same_items)
        return
    from assay.eval.bench import BenchOptions, run_bench_command
    from assay.eval.datasets import get_dataset
    from assay.settings import load_settings

    _check(limit, offset, concurrency, max_seconds)
    names = parse_graphs(graphs)
    get_dataset(dataset, load_settings(model=model, base_url=base_url))
    opts = BenchOptions(
        dataset=dataset.lower().replace("-", "_"), graphs=names, limit=limit, offset=offset, seed=seed,
        concurrency=concurrency, out=out, resume=resume, max_seconds=max_seconds, calibrate=calibrate,
        calib_limit=calib_limit, calib_offset=calib_offset, calib_seed=calib_seed,
        overrides={"model": model, "base_url": base_url, "timeout_s": _client_timeout()},
    )  # fmt: skip
    folder = run_bench_command(opts, _err)
    _err.print(f"results: {folder / 'results.json'}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("bench")(bench_command)
