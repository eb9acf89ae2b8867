"""Live rich progress for a bench: one row per recipe with done/total, accuracy so far, tokens and ETA."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from assay.eval.records import Record


class BenchProgress:
    """Callbacks for ``BenchPlan.on_start`` / ``on_done`` that drive a ``rich.progress.Progress``."""

    def __init__(self, graphs: Sequence[str], total: int, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("acc {task.fields[acc]:>5}"),
            TextColumn("gen tok {task.fields[tok]:>8}"),
            TextColumn("err {task.fields[err]}"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.total = total
        self._tasks: dict[str, TaskID] = {}
        self._seen: dict[str, list[Record]] = {g: [] for g in graphs}
        for graph in graphs:
            self._tasks[graph] = self.progress.add_task(graph, total=total, acc="-", tok="0", err=0, start=False)

    def __enter__(self) -> BenchProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def on_start(self, recipe: str, todo: int, done: list[Record]) -> None:
        self._seen[recipe] = list(done)
        task = self._tasks[recipe]
        self.progress.start_task(task)
        self._refresh(recipe)

    def on_done(self, recipe: str, record: Record) -> None:
        self._seen[recipe].append(record)
        self._refresh(recipe)

    def _refresh(self, recipe: str) -> None:
        seen = self._seen[recipe]
        acc = f"{sum(r.correct for r in seen) / len(seen):.0%}" if seen else "-"
        tok = f"{sum(r.completion_tokens for r in seen):,}"
        errors = sum(r.error is not None for r in seen)
        self.progress.update(self._tasks[recipe], completed=len(seen), acc=acc, tok=tok, err=errors)
