"""``assay run``: one checkpointed graph run (``assay graphs`` lives in graphs_cmd).

Input is validated before any server is contacted, so a typo costs nothing and prints one line.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.status import Status
from typer.core import TyperCommand

from assay.cli._inputs import make_budget, make_task, read_tests
from assay.cli._render import render, to_json
from assay.errors import AssayError, Terminated
from assay.graphs.registry import get_recipe

if TYPE_CHECKING:
    from assay.settings import Settings
    from assay.state import Budget, RunState, Task

__all__ = ["make_budget", "make_task", "read_tests", "register"]

_err = Console(stderr=True)
_out = Console()


def _brief(cand: dict[str, Any]) -> str:
    answer = " ".join(str(cand.get("answer") or "(no answer)").split())
    answer = answer if len(answer) <= 200 else answer[:200] + " [...]"
    total = cand.get("total")
    score = f"{total:.2f}" if isinstance(total, (int, float)) else "unscored"
    return f"{answer}  (score {score}, {cand.get('origin', '?')})"


def ask_human(payload: dict[str, Any]) -> bool:
    """Terminal review: show the current best and the proposed replacement, then approve or reject."""
    current, proposed = payload.get("current", {}), payload.get("proposed", {})
    _err.print("[bold]A refined answer would replace the solver's answer.[/]")
    for label, cand in (("current ", current), ("proposed", proposed)):
        _err.print(f"  {label}: {_brief(cand)}", markup=False, highlight=False)
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


def _help(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def run_command(
    question: Annotated[str, typer.Argument(help="The question or task.", metavar="QUESTION", show_default=False)],
    graph: Annotated[str, typer.Option("--graph", "-g", help="Recipe name (see `assay graphs`).")] = "adaptive",
    kind: Annotated[str | None, typer.Option(help="code | math | qa | open (default: guessed).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the final state as one JSON object.", metavar="")
    ] = False,
    thread: Annotated[str | None, typer.Option("--thread", help="Thread id: resume it or start it.")] = None,
    budget_tokens: Annotated[int | None, typer.Option(help="Token budget for this run.")] = None,
    budget_calls: Annotated[int | None, typer.Option(help="LLM call budget for this run.")] = None,
    human: Annotated[
        bool, typer.Option("--human", help="Ask before a refined answer replaces the solver's.", metavar="")
    ] = False,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL(s).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Generator model (see `assay status`).")] = None,
    tests: Annotated[Path | None, typer.Option(help="Unit tests (assert lines or def check(candidate)).")] = None,
    reference: Annotated[
        str | None, typer.Option(help="Known right answer: says whether the final answer matched; flip counts.")
    ] = None,
    show_help: Annotated[
        bool,
        typer.Option(
            "--help", help="Show this message and exit.", is_eager=True, callback=_help, metavar="", expose_value=True
        ),
    ] = False,
) -> None:
    """Run one graph on QUESTION and print the answer with the routes that led to it."""
    from assay.runtime import default_budget, new_thread_id
    from assay.settings import load_settings

    task = make_task(question, kind, tests, reference)
    get_recipe(graph, human=human)
    settings = load_settings(base_url=base_url, model=model)
    budget = make_budget(default_budget(settings), budget_tokens, budget_calls)
    thread_id = thread or new_thread_id()
    state = _run_shown(task, graph, settings, thread_id, budget, human)
    _show(state, thread_id, as_json=as_json, tau_confident=settings.tau_confident)


def _run_shown(task: Task, graph: str, settings: Settings, thread_id: str, budget: Budget, human: bool) -> RunState:
    """The run with its live progress; an interrupt or a failure says how to resume the checkpointed thread."""
    from assay.llm.supervise import resume_after_restart
    from assay.runtime import run

    progress = _Progress()
    try:
        with progress.shown(enabled=not human), _signals_interrupt():
            return asyncio.run(resume_after_restart(lambda: run(  # a server restart mid-run: resume the thread
                task, graph=graph, settings=settings, thread_id=thread_id, budget=budget,
                human=ask_human if human else None, on_event=progress, stream_tokens=progress.live)))  # fmt: skip
    except KeyboardInterrupt as exc:
        _err.print(f"the checkpoint keeps the run: resume with --thread {thread_id}", markup=False)
        if isinstance(exc, Terminated):  # typer would turn it into Ctrl-C's 130
            _err.print("assay: terminated", markup=False)
            raise typer.Exit(143) from None
        raise
    except AssayError as exc:
        if progress.started:  # the graph ran: its checkpoint can be resumed
            exc.hint = f"resume with --thread {thread_id}"
        raise


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise in the event loop itself, so ``asyncio.run`` cancels every task on its way out.

    Not asyncio's own SIGINT handler, which only cancels the main task: LangGraph waits for the node tasks it
    did not cancel, and a node inside a model call then held Ctrl-C for the whole call timeout (seen in the
    full unit suite, ``test_ctrl_c_mid_run_prints_the_thread_to_resume``). SIGTERM then exits 143.
    """
    previous = signal.signal(signal.SIGTERM, _raise_terminated), signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def _show(state: Any, thread_id: str, *, as_json: bool, tau_confident: float) -> None:
    """The finished run: one JSON object, or the answer, its verdict and the route summary."""
    if as_json:
        payload = to_json(state, thread_id, tau_confident=tau_confident)
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        render(state, thread_id, _out, tau_confident=tau_confident)


class _PlainUsage(TyperCommand):
    """``Usage: assay run [OPTIONS] QUESTION`` (typer writes a required argument as ``{QUESTION}``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [p.replace("{", "").replace("}", "") for p in super().collect_usage_pieces(ctx)]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"assay {version('assay')}")
        except PackageNotFoundError:
            typer.echo("assay (not installed as a package)")
        raise typer.Exit()


def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_version, metavar=""),
    ] = False,
) -> None:
    """Multi-agent LLM graphs routed on measured signals, on a local vLLM server."""


def register(app: typer.Typer) -> None:
    """Add ``run`` (and the root ``--version``) to ``app``."""
    app.callback()(_root)
    app.command("run", cls=_PlainUsage, context_settings={"help_option_names": []})(run_command)
