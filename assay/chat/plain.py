"""``assay chat`` without a terminal (stdin or stdout is a pipe or a file): one line in, plain lines out.

The same session and commands as the app. Each question prints the nodes as they start, every route decision
with its reason, and the answer; ``--human`` reads approve / edit / reject from the next input line. Ctrl+C
(SIGINT) cancels the running question and keeps reading; at the prompt it ends the session.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from typing import Any, TextIO

from assay.chat.commands import dispatch
from assay.chat.live import LiveRun
from assay.chat.session import ChatSession
from assay.chat.startup import Ensure, progress_line
from assay.errors import AssayError, InputError
from assay.runtime import HumanReply


class PlainChat:
    """A line-mode REPL over ``session``; ``lines`` is fed by a daemon thread reading ``stdin``."""

    def __init__(self, session: ChatSession, stdin: TextIO, out: TextIO, ensure: Ensure | None = None) -> None:
        self.session, self.stdin, self.out, self.ensure = session, stdin, out, ensure
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.current: asyncio.Task[None] | None = None
        self._shown = 0

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _reader(self, loop: asyncio.AbstractEventLoop) -> None:
        for line in self.stdin:
            loop.call_soon_threadsafe(self.lines.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(self.lines.put_nowait, None)

    def _sigint(self) -> None:
        if self.current is not None and not self.current.done():
            self.current.cancel()
        else:
            self.lines.put_nowait(None)

    async def main(self) -> int:
        """Read and answer lines until end of input or /quit; the exit code is 1 if the servers never came up."""
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._reader, args=(loop,), daemon=True).start()
        if sys.platform != "win32":
            loop.add_signal_handler(signal.SIGINT, self._sigint)
        self.say(f"assay chat (plain mode) · graph {self.session.graph} · /help for commands")
        if self.ensure is not None and not await self._servers():
            return 1
        while (line := await self.lines.get()) is not None:
            if not await self.handle(line.strip()):
                break
        return 0

    async def _servers(self) -> bool:
        assert self.ensure is not None
        self.say("checking the model servers (first use installs vLLM and converts models)")
        try:
            self.say(await asyncio.to_thread(self.ensure, self.say, lambda s: self.say(progress_line(s))))
        except AssayError as exc:
            self.say(f"error: {exc}; {exc.hint}" if exc.hint else f"error: {exc}")
            return False
        return True

    async def handle(self, line: str) -> bool:
        """Answer one input line; False ends the session."""
        if not line:
            return True
        reply = dispatch(self.session, line)
        if reply is not None:
            for text in reply.lines:
                self.say(f"error: {text}" if reply.error else text)
            return not reply.quit
        try:
            live = self.session.new_run(line)
        except InputError as exc:
            self.say(f"error: {exc}")
            return True
        self._shown = 0
        self.current = asyncio.create_task(self.session.execute(live, self._event, ask=self.ask_human))
        try:
            await self.current
        except asyncio.CancelledError:
            self.say(f"cancelled; the checkpoint keeps thread {live.thread_id}")
        self._result(live)
        return True

    def _event(self, live: LiveRun, what: str) -> None:
        if what == "node" and live.active:
            self.say(f"· {live.active} (round {live.round})")
        for route in live.routes[self._shown :]:
            target = "END" if route.target == "__end__" else route.target
            self.say(f"route r{route.round} {route.source} → {target}: {route.reason}")
        self._shown = len(live.routes)

    def _result(self, live: LiveRun) -> None:
        if live.status == "failed":
            self.say(f"error: {live.error}")
        elif live.final is not None:
            final = live.final
            self.say(f"answer: {final.answer}")
            spent = f"{final.usage.calls} calls · {final.usage.total_tokens} tokens · {live.spent_seconds():.1f}s"
            self.say(f"  stopped by {final.stopped_by} · {spent} · thread {live.thread_id}")

    async def ask_human(self, payload: dict[str, Any]) -> HumanReply:
        """Review on the next input lines: a(pprove), e(dit) then the new answer, or r(eject)."""
        for label in ("current", "proposed"):
            cand = payload.get(label) or {}
            self.say(f"  {label}: {cand.get('answer')!r} (score {cand.get('total')})")
        while True:
            self.say("review: approve, edit or reject? [a/e/r]")
            choice = ((await self.lines.get()) or "r").strip().lower()
            if choice in ("a", "approve", "r", "reject"):
                return choice.startswith("a")
            if choice in ("e", "edit"):
                self.say("your answer:")
                text = ((await self.lines.get()) or "").strip()
                return {"approve": True, "answer": text} if text else True
