"""How a finished run is shown: one JSON object (``--json``) or the answer plus a compact route summary."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assay.settings import Settings
from assay.signals.verdict import reference_match, verdict
from assay.state import Route, RunState

TAU = float(Settings.model_fields["tau_confident"].default)


def to_json(state: RunState, thread_id: str, *, tau_confident: float = TAU) -> dict[str, Any]:
    """The ``--json`` contract: answer, verdict (verified / confident / uncertain / unverified / refuted /
    no answer), reference match, stop reason, every route, the pool, evidence, reviews, flips, usage."""
    return {
        "answer": state.answer,
        "verdict": verdict(state, tau_confident).as_dict(),
        "reference_match": reference_match(state),
        "stopped_by": state.stopped_by,
        "routes": [r.model_dump(mode="json") for r in state.routes],
        "candidates": [
            c.model_dump(mode="json", include={"id", "text", "answer", "origin", "round", "scores"})
            for c in state.candidates
        ],
        "evidence": [e.model_dump(mode="json") for e in state.evidence],
        "reviews": [r.model_dump(mode="json") for r in state.reviews],
        "flips": state.flips.model_dump(),
        "usage": state.usage.model_dump(),
        "elapsed_s": round(state.elapsed_s, 4),
        "thread_id": thread_id,
        "notes": state.notes,
    }


def _fmt(value: float | None) -> str:
    if value is None or value < 0:  # -1 is the "no scored candidate" sentinel, not a score
        return "-"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _signals(route: Route, keys: tuple[str, ...] = ("agreement", "reward", "best_total", "no_improve")) -> str:
    return " ".join(f"{k}={_fmt(route.signals[k])}" for k in keys if k in route.signals)


def route_table(state: RunState) -> Table:
    """One row per decision: round, from -> to, the key signal values, the reason."""
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    for column in ("round", "route", "signals", "reason"):
        table.add_column(column, overflow="fold")
    for route in state.routes:
        table.add_row(str(route.round), f"{route.source} → {route.target}", _signals(route), route.reason)
    return table


_STYLE = {"verified": "green", "confident": "green", "uncertain": "yellow", "unverified": "yellow",
          "refuted": "red", "no answer": "red"}  # fmt: skip


def render(state: RunState, thread_id: str, console: Console, *, tau_confident: float = TAU) -> None:
    """The answer first (what the user asked for), its verdict, then why and at what cost."""
    if state.answer is None:
        console.print("[red](no answer)[/]")
    else:
        console.print(state.answer.strip("\n"), markup=False, highlight=False)
    v = verdict(state, tau_confident)
    console.print(f"[{_STYLE[v.label]}]{v.label}[/]: {escape(v.reason)}", highlight=False)
    match = reference_match(state)
    if match is not None:
        shown = "[green]matches[/]" if match else "[red]does NOT match[/]"
        console.print(f"reference {escape(repr(state.task.reference))}: the final answer {shown}", highlight=False)
    console.print()
    console.print(route_table(state))
    best = state.best
    origin = f"{best.origin}, round {best.round}, total {_fmt(best.scores.total)}" if best else "none"
    u = state.usage
    console.print(
        f"[dim]stopped by {state.stopped_by} · best: {origin} · {len(state.candidates)} candidates · "
        f"{u.calls} calls, {u.prompt_tokens}+{u.completion_tokens} tokens · {state.elapsed_s:.1f}s · "
        f"thread {thread_id}[/]"
    )
    flips = state.flips
    if sum(flips.model_dump().values()):
        console.print(
            f"[dim]flips: wrong→right {flips.wrong_to_right}, right→wrong {flips.right_to_wrong}, "
            f"right→right {flips.right_to_right}, wrong→wrong {flips.wrong_to_wrong}[/]"
        )
