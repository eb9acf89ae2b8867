"""``assay run`` (one checkpointed graph run) and ``assay graphs`` (list recipes, draw one as Mermaid).

Input is validated before any server is contacted, so a typo costs nothing and prints one line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.status import Status

from assay.cli._render import render, to_json
from assay.errors import AssayError, InputError
from assay.graphs.registry import build_graph, get_recipe, recipes
from assay.state import TASK_KINDS, Budget, Task, TaskKind

_err = Console(stderr=True)
_out = Console()


def read_tests(path: Path) -> list[str]:
    """A HumanEval-style file (``def check(candidate)``) is one test; otherwise one test per non-comment line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise InputError(f"cannot read tests file {path}: {reason}") from None
    if "def check(" in text:
        return [text]
    tests = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not tests:
        raise InputError(f"tests file {path} has no tests")
    return tests


def _kind(kind: str | None, question: str, has_tests: bool) -> TaskKind:
    if kind is None:
        if has_tests:
            return "code"
        from assay.agents.kind import detect_kind

        return detect_kind(question)
    for known in TASK_KINDS:
        if kind == known:
            return known
    raise InputError(f"unknown kind {kind!r}; use one of: {', '.join(TASK_KINDS)}")


def make_task(question: str, kind: str | None, tests: Path | None, reference: str | None) -> Task:
    if not question.strip():
        raise InputError("the question is empty")
    test_lines = read_tests(tests) if tests else []
    return Task(question=question, kind=_kind(kind, question, bool(test_lines)), tests=test_lines, reference=reference)


def make_budget(base: Budget, tokens: int | None, calls: int | None) -> Budget:
    for flag, value in (("--budget-tokens", tokens), ("--budget-calls", calls)):
        if value is not None and value < 1:
            raise InputError(f"{flag} must be at least 1 (got {value})")
    return base.model_copy(update={"max_tokens": tokens or base.max_tokens, "max_calls": calls or base.max_calls})


def ask_human(payload: dict[str, Any]) -> bool:
    """Terminal review: show the current best and the proposed replacement, then approve or reject."""
    current, proposed = payload.get("current", {}), payload.get("proposed", {})
    _err.print("[bold]A refined answer would replace the solver's answer.[/]")
    for label, cand in (("current", current), ("proposed", proposed)):
        _err.print(f"  {label}: {cand.get('answer')!r} (score {cand.get('total')})", markup=False)
    return typer.confirm("Approve the refined answer?", default=False, err=True)


class _Progress:
    """Live status on stderr (terminal only): which node runs in which round; remembers if the graph started."""

    def __init__(self) -> None:
        self.started = False
        self.status: Status | None = None
        self.where = "starting"
        self.tail = ""

    def __call__(self, event: dict[str, Any]) -> None:
        self.started = True
        if self.status is None:
            return
        if event.get("type") == "node" and event.get("phase") == "start":
            self.where, self.tail = f"round {event.get('round', 0)} · {event.get('node')}", ""
        elif event.get("type") == "token" and event.get("index") == 0:  # show the first sample as it is written
            self.tail = (self.tail + str(event.get("delta", "")))[-60:]
        else:
            return
        self.status.update(f"{self.where} {escape(' '.join(self.tail.split()))}")

    @property
    def live(self) -> bool:
        """True when a terminal shows the status line (then tokens are worth streaming)."""
        return self.status is not None

    @contextmanager
    def shown(self, enabled: bool) -> Iterator[_Progress]:
        if not enabled or not _err.is_terminal:
            yield self
            return
        with _err.status("starting") as self.status:
            yield self


def run_command(
    question: Annotated[str, typer.Argument(help="The question or task.")],
    graph: Annotated[str, typer.Option("--graph", "-g", help="Recipe name (see `assay graphs`).")] = "adaptive",
    kind: Annotated[str | None, typer.Option(help="code | math | qa | open (default: guessed).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final state as one JSON object.")] = False,
    thread: Annotated[str | None, typer.Option("--thread", help="Thread id: resume it or start it.")] = None,
    budget_tokens: Annotated[int | None, typer.Option(help="Token budget for this run.")] = None,
    budget_calls: Annotated[int | None, typer.Option(help="LLM call budget for this run.")] = None,
    human: Annotated[bool, typer.Option("--human", help="Ask before a refined answer replaces the solver's.")] = False,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL(s).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Generator model (see `assay status`).")] = None,
    tests: Annotated[Path | None, typer.Option(help="Unit tests (assert lines or def check(candidate)).")] = None,
    reference: Annotated[str | None, typer.Option(help="Known right answer: enables flip counts.")] = None,
) -> None:
    """Run one graph on QUESTION and print the answer with the routes that led to it."""
    from assay.runtime import default_budget, new_thread_id, run
    from assay.settings import load_settings

    task = make_task(question, kind, tests, reference)
    get_recipe(graph, human=human)
    settings = load_settings(base_url=base_url, model=model)
    budget = make_budget(default_budget(settings), budget_tokens, budget_calls)
    thread_id = thread or new_thread_id()
    progress = _Progress()
    try:
        with progress.shown(enabled=not human):
            state = asyncio.run(run(task, graph=graph, settings=settings, thread_id=thread_id, budget=budget,
                                    human=ask_human if human else None, on_event=progress,
                                    stream_tokens=progress.live))  # fmt: skip
    except KeyboardInterrupt:
        _err.print(f"the checkpoint keeps the run: resume with --thread {thread_id}", markup=False)
        raise
    except AssayError as exc:
        if progress.started:  # the graph ran: its checkpoint can be resumed
            exc.hint = f"resume with --thread {thread_id}"
        raise
    if as_json:
        sys.stdout.write(json.dumps(to_json(state, thread_id), ensure_ascii=False) + "\n")
    else:
        render(state, thread_id, _out)


def graphs_command(
    show: Annotated[str | None, typer.Option("--show", help="Print this recipe as a Mermaid diagram.")] = None,
) -> None:
    """List the graph recipes, or draw one."""
    if show is not None:
        get_recipe(show)
        sys.stdout.write(build_graph(show).compile().get_graph().draw_mermaid())
        return
    for recipe in recipes():
        _out.print(f"[bold]{recipe.name}[/]  {recipe.description}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``graphs`` to ``app``."""
    app.command("run")(run_command)
    app.command("graphs")(graphs_command)
