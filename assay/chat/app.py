"""The Textual app of ``assay chat``: a live view of each run and a prompt that takes questions and commands.

Layout (fits 80x24, reflows on resize): a status line; the graph with the active node highlighted; the
speaking agent's streamed tokens beside a log of questions, route decisions and answers; the candidate
table; the budget bar; the prompt. The run executes in a worker on the app's event loop, so Ctrl+C cancels
it (the checkpointer and clients close in their ``finally`` blocks) and the session stays.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, RichLog, Static
from textual.worker import Worker

from assay.chat.commands import Reply, dispatch
from assay.chat.live import LiveRun
from assay.chat.review import ReviewScreen
from assay.chat.session import ChatSession
from assay.chat.startup import Ensure, generator_model, progress_line
from assay.chat.topology import topology
from assay.chat.widgets import BudgetBar, CandidateTable, GraphView, PromptInput, TokenView
from assay.errors import AssayError, InputError
from assay.runtime import HumanReply

CSS = """
#status { height: 1; background: $boost; padding: 0 1; }
#graph { height: 2; }
#middle { height: 1fr; min-height: 4; }
#tokens { width: 2fr; height: 100%; border: round $secondary; padding: 0 1; }
#log { width: 3fr; height: 100%; border: round $accent; }
#candidates { height: 6; }
#budget { height: 1; padding: 0 1; }
"""


class ChatApp(App[None]):
    """``assay chat`` in a terminal; ``ensure`` (None: servers are someone else's business) runs first."""

    CSS = CSS
    TITLE = "assay chat"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "interrupt", "cancel run", priority=True),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    def __init__(self, session: ChatSession, ensure: Ensure | None = None) -> None:
        super().__init__()
        self.session, self.ensure = session, ensure
        self.ready = ensure is None
        self.pending: list[str] = []
        self.worker: Worker[None] | None = None
        self._shown_routes = 0
        self._last_interrupt = 0.0
        self._server_line = "ready" if self.ready else "starting"
        self.model = session.settings.model

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield GraphView(id="graph")
        with Horizontal(id="middle"):
            yield TokenView(id="tokens")
            yield RichLog(id="log", wrap=True, markup=False, min_width=20)
        yield CandidateTable(id="candidates")
        yield BudgetBar(id="budget")
        yield PromptInput(id="prompt")

    def on_mount(self) -> None:
        self.say(f"assay chat · graph {self.session.graph} · /help for commands", style="bold")
        self.set_interval(0.1, self.redraw)
        self.redraw()
        self.base.query_one(PromptInput).focus()
        if self.ensure is not None:
            self.run_worker(self._start_servers, thread=True, group="servers", exit_on_error=False)

    # -- output -------------------------------------------------------------------------------------------

    def say(self, message: str | Text, style: str = "") -> None:
        try:
            log = self.base.query_one("#log", RichLog)
        except (NoMatches, IndexError):  # closing: nowhere to write
            return
        log.write(Text(message, style=style) if isinstance(message, str) else message)

    def show_reply(self, reply: Reply) -> None:
        for line in reply.lines:
            self.say(line, style="red" if reply.error else "")

    @property
    def base(self) -> Screen[None]:
        """The main screen (queries go there even while the review screen is on top)."""
        return self.screen_stack[0]

    @property
    def live(self) -> LiveRun | None:
        return self.session.last

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def redraw(self) -> None:
        """Refresh every panel from the current run (10 times a second; cheap for a few candidates)."""
        try:
            self._redraw()
        except (NoMatches, IndexError):  # the app is closing: its screens are already gone
            return

    def _redraw(self) -> None:
        live = self.live
        state = "running" if self.running else self._server_line
        self.base.query_one("#status", Static).update(
            Text(f"assay chat · graph {self.session.graph} · model {self.model} · {state}", no_wrap=True, end="")
        )
        try:
            self.base.query_one(GraphView).show(topology(live.graph if live else self.session.graph), live)
        except AssayError as exc:  # a recipe that fails to build: say so, keep the session
            self.base.query_one(GraphView).update(Text(str(exc), style="red"))
        self.base.query_one(TokenView).show(live)
        self.base.query_one(CandidateTable).show(live)
        self.base.query_one(BudgetBar).show(live, self.session.budget)

    def _log_routes(self, live: LiveRun) -> None:
        for route in live.routes[self._shown_routes :]:
            target = "END" if route.target == "__end__" else route.target
            line = Text(f"r{route.round} {route.source} → {target}  ", style="bold cyan")
            line.append(route.reason)
            self.say(line)
        self._shown_routes = len(live.routes)

    def notify_run(self, live: LiveRun, what: str) -> None:
        """Called for every run event; route records are logged the moment they arrive."""
        if what in ("update", "status"):
            self._log_routes(live)

    # -- servers ------------------------------------------------------------------------------------------

    def _start_servers(self) -> None:
        """Thread worker: ``ensure_up`` with its messages in the log and its progress in the status line."""
        assert self.ensure is not None
        self.call_from_thread(self.say, "checking the model servers (first use installs vLLM and converts models)")

        def report(message: str) -> None:
            self.call_from_thread(self.say, message, "dim")

        def progress(states: dict[str, str]) -> None:
            self._server_line = progress_line(states)

        try:
            summary = self.ensure(report, progress)
            self.model = generator_model(self.session.settings)
        except AssayError as exc:
            self._server_line = "servers not ready"
            self.call_from_thread(self.say, f"{exc}; {exc.hint}" if exc.hint else str(exc), "red")
            self.call_from_thread(self.say, "fix it (or start `assay up`), then ask again", "red")
            return
        self.call_from_thread(self._servers_ready, summary)

    def _servers_ready(self, summary: str) -> None:
        self.ready, self._server_line = True, "ready"
        self.say(summary, style="green")
        if self.pending:
            self.ask(self.pending.pop(0))

    # -- input --------------------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, PromptInput):
            return
        line = event.value.strip()
        event.input.remember(line)
        event.input.value = ""
        if not line:
            return
        reply = dispatch(self.session, line)
        if reply is not None:
            self.say(Text(f"> {line}", style="dim"))
            self.show_reply(reply)
            if reply.quit:
                self.exit()
            return
        self.ask(line)

    def ask(self, question: str) -> None:
        """Start a run for ``question`` (queued until the servers are up; one run at a time)."""
        if self.running:
            self.say("a run is in progress: wait for it, or Ctrl+C to cancel it", style="yellow")
            return
        if not self.ready:
            if self.ensure is not None and not any(w.is_running for w in self.workers if w.group == "servers"):
                self.run_worker(self._start_servers, thread=True, group="servers", exit_on_error=False)
            self.pending.append(question)
            self.say("the servers are starting: the question runs as soon as they answer", style="yellow")
            return
        try:
            live = self.session.new_run(question)
        except InputError as exc:
            self.say(str(exc), style="red")
            return
        self._shown_routes = 0
        self.say(Text(f"you: {question}", style="bold"))
        self.worker = self.run_worker(self._execute(live), group="run", exit_on_error=False)

    async def _execute(self, live: LiveRun) -> None:
        await self.session.execute(live, self.notify_run, ask=self.ask_human)
        self._finished(live)

    def _finished(self, live: LiveRun) -> None:
        self.redraw()
        if live.status == "failed":
            self.say(f"error: {live.error}", style="red")
            return
        final = live.final
        if final is None:
            return
        line = Text("answer: ", style="bold green")
        line.append(str(final.answer if final.answer is not None else "(no answer)"), style="bold")
        tokens, seconds = final.usage.total_tokens, live.spent_seconds()
        calls = final.usage.calls
        line.append(f"  (stopped by {final.stopped_by} · {calls} calls · {tokens} tokens · {seconds:.1f}s)", "dim")
        self.say(line)

    async def ask_human(self, payload: dict[str, Any]) -> HumanReply:
        """The runtime's human hook: a modal review screen; the run waits for its answer."""
        done: asyncio.Future[HumanReply] = asyncio.get_running_loop().create_future()
        live = self.live
        if live is not None:
            live.status = "review"
        screen = ReviewScreen(payload)

        def answered(reply: HumanReply | None) -> None:
            if not done.done():  # a cancelled run closes the screen without waiting for the answer
                done.set_result(False if reply is None else reply)

        self.push_screen(screen, callback=answered)
        try:
            reply = await done
        except asyncio.CancelledError:
            if screen.is_current:
                screen.dismiss(False)
            raise
        if live is not None:
            live.status = "running"
        verdict = "edited" if isinstance(reply, dict) else ("approved" if reply else "rejected")
        self.say(f"review: {verdict}", style="magenta")
        return reply

    def action_interrupt(self) -> None:
        """Ctrl+C: cancel the running question (the session stays); when idle, twice within 2 s quits."""
        if self.running and self.worker is not None:
            self.worker.cancel()
            live = self.live
            self.say(f"cancelled; the checkpoint keeps thread {live.thread_id if live else '?'}", style="yellow")
            return
        now = time.monotonic()
        if now - self._last_interrupt < 2.0:
            self.exit()
            return
        self._last_interrupt = now
        self.say("nothing is running: Ctrl+C again (or /quit) to leave", style="yellow")
