"""assay chat's Textual app driven by Textual's pilot on FakeLLM: live panels, commands, Ctrl+C, review, resize."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest
from _chat_fakes import easy_fake, fake_context, hard_fake, screen_text
from textual.pilot import Pilot
from textual.widgets import RichLog

from assay.chat.app import ChatApp
from assay.chat.review import ReviewScreen
from assay.chat.session import ChatSession
from assay.errors import ServerError
from assay.settings import load_settings
from assay.testing import FakeLLM


def log_text(app: ChatApp) -> str:
    """The log panel's text with its wrapping undone (words separated by single spaces)."""
    return " ".join(" ".join(line.text for line in app.base.query_one("#log", RichLog).lines).split())


async def until(pilot: Pilot[None], cond: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() >= deadline:
            shown = log_text(pilot.app) if isinstance(pilot.app, ChatApp) else ""
            raise AssertionError(f"timed out waiting for {what}; the log ends: {shown[-400:]}")
        await pilot.pause(0.05)


async def type_line(pilot: Pilot[None], line: str) -> None:
    await pilot.press(*line)
    await pilot.press("enter")


def make_app(fake: FakeLLM, judge: FakeLLM | None = None, *, human: bool = False) -> ChatApp:
    return ChatApp(ChatSession(load_settings(), human=human, context=fake_context(fake, judge)))


async def test_a_question_runs_live_and_fits_80x24() -> None:
    app = make_app(*easy_fake())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_line(pilot, "What is 2 + 2?")
        await until(pilot, lambda: "answer: 4" in log_text(app), "the answer")
        await until(pilot, lambda: "★" in screen_text(app), "the final redraw")
        screen = screen_text(app)
        lines = screen.splitlines()
        assert len(lines) == 24 and max(map(len, lines)) <= 80
        assert "solve" in lines[1] and "aggregate" in lines[1] and "select" in lines[1]  # the graph, one line
        assert re.search(r"solver · \d+ sample", screen) and "Answer: 4" in screen  # the streamed agent text
        assert "★ " in screen and " solver " in screen and "✓" in screen  # the candidate table
        final = app.live.final  # type: ignore[union-attr]
        assert final is not None and final.routes
        for route in final.routes:  # every decision was logged with its reason
            target = "END" if route.target == "__end__" else route.target
            assert " ".join(f"{route.source} → {target} {route.reason}".split()) in log_text(app)
        assert "calls " in screen and f"{final.usage.calls}/40" in screen  # the budget bar
        await type_line(pilot, "/why")
        await until(pilot, lambda: "sent the run to aggregate" in log_text(app), "/why")
        await pilot.press("up", "up")  # input history: back to the question
        assert app.query_one("#prompt").value == "What is 2 + 2?"  # type: ignore[attr-defined]
        await pilot.press("down", "down")
        assert app.query_one("#prompt").value == ""  # type: ignore[attr-defined]


async def test_ctrl_c_cancels_the_run_and_keeps_the_session() -> None:
    fake, judge = easy_fake()
    fake.stall(30)  # the first model call hangs
    app = make_app(fake, judge)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_line(pilot, "What is 2 + 2?")
        await until(pilot, lambda: app.live is not None and app.live.active == "solve", "the solver to start")
        # the stall is armed for the next request: cancel only once it hangs in it, or the second run gets it
        await until(pilot, lambda: len(fake.requests) >= 1, "the solver's request to hang")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.live is not None and app.live.status == "cancelled", "the cancel")
        assert "cancelled; the checkpoint keeps thread" in log_text(app)
        await type_line(pilot, "What is 2 + 2?")  # the session goes on
        await until(pilot, lambda: "answer: 4" in log_text(app), "the second answer")
        assert [r.status for r in app.session.runs] == ["cancelled", "done"]
        await pilot.press("ctrl+c")
        assert "Ctrl+C again" in log_text(app)
        await pilot.press("ctrl+c")  # twice when idle: leave
        await until(pilot, lambda: not app.is_running, "the exit", timeout=10)


REVIEWS = [(["a"], "4", "confident"), (["r"], "5", "human"), (["e", "ctrl+u", *"four", "enter"], "four", "human")]


@pytest.mark.parametrize(("keys", "answer", "stopped"), REVIEWS)
async def test_human_review_approve_edit_reject(keys: list[str], answer: str, stopped: str) -> None:
    app = make_app(*hard_fake(), human=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_line(pilot, "What is 2 + 2?")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review screen")
        await until(pilot, lambda: "Approve (a)" in screen_text(app), "the review screen drawn")
        shown = screen_text(app)
        assert "Human review" in shown and "proposed: 4" in shown and "Approve (a)" in shown
        await pilot.press(*keys)
        await until(pilot, lambda: app.live is not None and app.live.final is not None, "the run to finish")
        final = app.live.final  # type: ignore[union-attr]
        assert final is not None and final.answer == answer and final.stopped_by == stopped
        if answer == "four":
            assert final.best is not None and final.best.origin == "human"
            assert "human edited" in log_text(app)


async def test_survives_resizes() -> None:
    app = make_app(*easy_fake())
    async with app.run_test(size=(80, 24)) as pilot:
        await type_line(pilot, "What is 2 + 2?")
        await until(pilot, lambda: "answer: 4" in log_text(app), "the answer")
        for width, height in ((60, 20), (120, 40), (80, 24)):
            await pilot.resize_terminal(width, height)
            await pilot.pause(0.3)
            lines = screen_text(app).splitlines()
            assert len(lines) == height and max(map(len, lines)) <= width
            assert "assay chat" in lines[0] and "Ask a question" in "\n".join(lines[-3:])


async def test_first_contact_says_what_it_does_and_queues_the_question() -> None:
    release = threading.Event()
    fake, judge = easy_fake()

    def ensure(report: Callable[[str], None], progress: Callable[[dict[str, str]], None]) -> str:
        report("installing vLLM into the assay home (first use)")
        progress({"smollm2": "starting", "smollm2-judge": "waiting"})
        release.wait(30)
        return "servers ready in 1.0s: smollm2 started"

    app = ChatApp(ChatSession(load_settings(), context=fake_context(fake, judge)), ensure)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await until(pilot, lambda: "installing vLLM" in log_text(app), "the provisioning message")
            await until(pilot, lambda: "smollm2: starting" in screen_text(app).splitlines()[0], "the progress")
            await type_line(pilot, "What is 2 + 2?")
            assert "the question runs as soon as they answer" in log_text(app) and not app.session.runs
        finally:
            release.set()
        await until(pilot, lambda: "answer: 4" in log_text(app), "the queued question's answer")
        assert "servers ready" in log_text(app)


async def test_servers_that_cannot_start_leave_the_session_usable() -> None:
    def ensure(report: Callable[[str], None], progress: Callable[[dict[str, str]], None]) -> str:
        raise ServerError("vLLM exited during startup (see ~/.cache/assay/logs/smollm2.log)")

    app = ChatApp(ChatSession(load_settings()), ensure)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "vLLM exited during startup" in log_text(app), "the startup error")
        await type_line(pilot, "/help")
        await until(pilot, lambda: "/save FILE" in log_text(app), "/help")
        assert "servers not ready" in screen_text(app).splitlines()[0]


async def test_ctrl_c_during_the_review_cancels_and_closes_it() -> None:
    app = make_app(*hard_fake(), human=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_line(pilot, "What is 2 + 2?")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review screen")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.live is not None and app.live.status == "cancelled", "the cancel")
        await until(pilot, lambda: not isinstance(app.screen, ReviewScreen), "the review screen to close")
        await type_line(pilot, "/history")
        await until(pilot, lambda: "→ cancelled" in log_text(app), "/history")
