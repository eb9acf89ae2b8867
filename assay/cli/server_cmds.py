"""``assay up`` / ``down`` / ``status``: the embedded vLLM servers from the terminal."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from assay.llm.server import ensure_up, server_status, stop_servers
from assay.settings import load_settings

_err = Console(stderr=True)
_out = Console()
if not _out.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
    _out.width = 120


def _status_line(states: dict[str, str]) -> str:
    return "  ".join(f"[bold]{name}[/]: {state}" for name, state in states.items())


def up(
    model: Annotated[str, typer.Option("--model", "-m", help="Generator model (see registry).")] = "smollm2",
    judge: Annotated[bool, typer.Option("--judge/--no-judge", help="Also serve the yes/no judge.")] = True,
    embedder: Annotated[bool, typer.Option("--embedder", help="Also serve the MiniLM embedder.")] = False,
    host: Annotated[str, typer.Option(help="Address to bind (default loopback only).")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Generator port (default: a free port).")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds to wait for /health.")] = None,
) -> None:
    """Start the model servers (installing vLLM and converting models on first use)."""
    settings = load_settings()
    names = [model, *(["smollm2-judge"] if judge else []), *(["minilm"] if embedder else [])]
    with _err.status("checking servers") as spinner:

        def report(message: str) -> None:
            _err.print(f"[dim]{message}[/]")

        def progress(states: dict[str, str]) -> None:
            spinner.update(_status_line(states))

        result = ensure_up(settings, names, host=host, port=port, timeout_s=timeout, report=report, progress=progress)
    if result.external:
        _out.print(f"ASSAY_BASE_URL is set ({result.external}): using that endpoint, nothing started.")
        return
    for record in result.records:
        state = "started" if record in result.started else "already running"
        _out.print(f"{record.name}: {state} at {record.base_url} (model {record.model}, pid {record.pid})")
    _out.print(f"ready in {result.seconds:.1f}s")


def down(
    names: Annotated[list[str] | None, typer.Argument(help="Only these servers (default: all).")] = None,
) -> None:
    """Stop the servers that `assay up` started (only those)."""
    stopped = stop_servers(load_settings(), names or None)
    if not stopped:
        _out.print("no assay servers running")
    for record in stopped:
        _out.print(f"stopped {record.name} (pid {record.pid})")


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE)
    for column in ("run", "name", "model", "pid", "healthy", "rss_mb", "base_url"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        healthy = "[green]yes[/]" if row["healthy"] else "[red]no[/]"
        table.add_row(
            "[bold]*[/]" if row.get("used_by_run") else "",
            row["name"],
            row["model"],
            str(row["pid"] or "-"),
            healthy,
            f"{row['rss_mb']:.0f}" if row["rss_mb"] else "-",
            row["base_url"],
        )
    return table


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Check this endpoint instead.")] = None,
) -> None:
    """Show the model servers: name, model, URL, pid, health and memory."""
    settings = load_settings(base_url=base_url)
    rows = server_status(settings)
    if as_json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        _out.print("no assay servers running (start them with `assay up`)")
    else:
        _out.print(_table(rows))
        _out.print(_run_line(rows), highlight=False)


def _run_line(rows: list[dict[str, Any]]) -> str:
    """Which generator `assay run` will use, and why (the starred rows)."""
    used = [row for row in rows if row.get("used_by_run")]
    if not used:
        return "assay run: no generator it can use (start one with `assay up`, or check --model / ASSAY_MODEL)"
    urls = ", ".join(row["base_url"] for row in used)
    return f"assay run uses * {used[0]['model']} at {urls} ({used[0]['why']})"


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(up)
    app.command()(down)
    app.command()(status)
