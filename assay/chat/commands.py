"""Slash commands of ``assay chat``: parsed and answered here, shown by whichever view is active.

A command returns a ``Reply`` (lines of text and what the view should do next); anything that does not start
with ``/`` is a question for the current graph. Mistakes are one line, marked as an error, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay.chat.explain import budget_lines, why
from assay.chat.session import ChatSession
from assay.cli._render import to_json
from assay.errors import InputError

HELP = (
    ("/graph NAME", "use another recipe (no name: list them)"),
    ("/budget [calls|tokens|seconds N]", "show the budget, or change one limit"),
    ("/why", "explain the last decision from its route records"),
    ("/history", "the questions asked in this session, with their answers"),
    ("/save FILE", "write the last (or current) run as JSON"),
    ("/help", "this list"),
    ("/quit", "leave (also Ctrl+Q, or Ctrl+C twice when idle)"),
)
COMMANDS = tuple(name.split()[0] for name, _ in HELP)


@dataclass
class Reply:
    lines: list[str] = field(default_factory=list)
    error: bool = False
    quit: bool = False
    redraw: bool = False  # the graph or budget changed: redraw the panels


def _graph(session: ChatSession, args: list[str]) -> Reply:
    if not args:
        names = ", ".join(f"*{n}*" if n == session.graph else n for n in session.graphs())
        return Reply([f"graphs: {names}"])
    session.set_graph(args[0])
    return Reply([f"graph: {session.graph}"], redraw=True)


def _budget(session: ChatSession, args: list[str]) -> Reply:
    if len(args) == 2:
        session.set_budget(args[0], args[1])
    elif args:
        raise InputError("usage: /budget [calls|tokens|seconds N]")
    last = session.last
    head = f"budget for the next run (last run: {last.status})" if last else "budget for the next run"
    seconds = last.spent_seconds() if last else 0.0
    return Reply([head, *budget_lines(session.budget, last.usage if last else None, seconds)], redraw=bool(args))


def _why(session: ChatSession, args: list[str]) -> Reply:
    last = session.last
    if last is None:
        return Reply(["No run yet: ask a question first."])
    return Reply(why(last.routes, last.final.stopped_by if last.final else None))


def _history(session: ChatSession, args: list[str]) -> Reply:
    if not session.runs:
        return Reply(["No questions yet."])
    lines = []
    for i, live in enumerate(session.runs, 1):
        outcome = live.answer if live.status == "done" else live.status
        lines.append(f"{i}. [{live.graph}] {live.task.question} → {outcome}  (thread {live.thread_id})")
    return Reply(lines)


def _save(session: ChatSession, args: list[str]) -> Reply:
    if len(args) != 1:
        raise InputError("usage: /save FILE")
    last = session.last
    if last is None:
        raise InputError("nothing to save yet: ask a question first")
    data = {"question": last.task.question, "graph": last.graph, "status": last.status,
            **to_json(last.snapshot(), last.thread_id)}  # fmt: skip
    path = Path(args[0]).expanduser()
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Reply([f"saved the run ({len(data['routes'])} routes, {len(data['candidates'])} candidates) to {path}"])


def _help(session: ChatSession, args: list[str]) -> Reply:
    lines = [f"{name:<34}{what}" for name, what in HELP]
    return Reply([*lines, "Anything else is a question for the current graph. Ctrl+C cancels a running question."])


_HANDLERS: dict[str, Callable[[ChatSession, list[str]], Reply]] = {
    "/graph": _graph,
    "/budget": _budget,
    "/why": _why,
    "/history": _history,
    "/save": _save,
    "/help": _help,
}


def dispatch(session: ChatSession, line: str) -> Reply | None:
    """The reply to a slash command, or None when ``line`` is a question."""
    text = line.strip()
    if not text.startswith("/"):
        return None
    name, *args = text.split()
    if name in ("/quit", "/exit", "/q"):
        return Reply(["bye"], quit=True)
    handler = _HANDLERS.get(name)
    if handler is None:
        return Reply([f"unknown command {name}; /help lists the commands"], error=True)
    try:
        return handler(session, args)
    except InputError as exc:
        return Reply([str(exc)], error=True)
