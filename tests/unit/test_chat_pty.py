"""assay chat as a person uses it: a real pseudo-terminal (pexpect) rendered by a VT emulator (pyte), with
the CLI pointed at FakeLLM behind a loopback HTTP server. Every wait is on screen content, never a bare sleep,
with generous limits for a busy 2-core machine."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pyte
import pytest
from _chat_fakes import easy_fake, hard_fake, serve_fake

from assay.testing import FakeLLM

ENTRY = "from assay.cli.main import main; main()"


@pytest.fixture
def endpoints() -> Iterator[tuple[FakeLLM, dict[str, str]]]:
    fake, judge = easy_fake()
    with serve_fake(fake) as url, serve_fake(judge) as judge_url:
        yield fake, {"ASSAY_BASE_URL": url, "ASSAY_JUDGE_URL": judge_url}


def chat_env(home: Path, urls: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSAY_", "COLUMNS", "LINES"))}
    return env | urls | {"ASSAY_HOME": str(home), "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}


class Terminal:
    """A child process in a pty of ``rows`` x ``cols``, and what its screen shows."""

    def __init__(self, args: list[str], env: dict[str, str], rows: int = 24, cols: int = 80) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-c", ENTRY, *args], env=env, dimensions=(rows, cols))

    def pump(self) -> None:
        with contextlib.suppress(pexpect.TIMEOUT):
            self.stream.feed(self.child.read_nonblocking(1 << 16, timeout=0.1))

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait(self, needle: str, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never appeared; the screen:\n{self.text()}")
            try:
                self.pump()
            except pexpect.EOF:
                raise AssertionError(f"the app exited before {needle!r}; the screen:\n{self.text()}") from None
        return self.text()

    def type(self, line: str) -> None:
        self.child.send(line + "\r")

    def resize(self, rows: int, cols: int) -> None:
        self.screen.resize(rows, cols)
        self.child.setwinsize(rows, cols)


def test_a_person_asks_explains_resizes_cancels_and_quits(
    tmp_path: Path, endpoints: tuple[FakeLLM, dict[str, str]]
) -> None:
    fake, urls = endpoints
    term = Terminal(["chat"], chat_env(tmp_path, urls))
    try:
        term.wait("Ask a question")
        term.wait("using the endpoint")  # first contact says what it uses
        term.type("What is 2 + 2?")
        screen = term.wait("answer: 4")
        lines = term.wait("★").splitlines()
        assert "solve" in lines[1] and "aggregate" in lines[1]
        assert "→ aggregate" in screen
        term.type("/why")
        term.wait("/save).")  # the last word of the explanation (one word: wrapping cannot split it)
        term.resize(30, 100)
        term.wait(" " * 40 + "▎")  # the prompt redrawn at the new width (its right edge is past column 80)
        assert "assay chat" in term.text().splitlines()[0]
        fake.stall(60)  # the next model call hangs: Ctrl+C must cancel it
        term.type("What is 3 + 3?")
        term.wait("running")
        term.child.sendcontrol("c")
        term.wait("cancelled")
        term.type("/history")
        term.wait("→ cancelled")
        term.type("/quit")
        term.child.expect(pexpect.EOF, timeout=60)
    finally:
        term.child.close(force=True)
    assert term.child.exitstatus == 0, term.text()


def test_plain_line_mode_when_stdin_is_not_a_terminal(
    tmp_path: Path, endpoints: tuple[FakeLLM, dict[str, str]]
) -> None:
    saved = tmp_path / "run.json"
    script = f"What is 2 + 2?\n/why\n/graph nope\n/save {saved}\n/quit\n"
    proc = subprocess.run([sys.executable, "-c", ENTRY, "chat"], input=script, capture_output=True, text=True,
                          env=chat_env(tmp_path, endpoints[1]), timeout=180)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "plain mode" in out and "· solve (round 0)" in out and re.search(r"route r0 \w+ → aggregate: ", out)
    assert "answer: 4" in out and "sent the run to aggregate." in out
    assert "error: unknown graph 'nope'" in out and "\x1b[" not in out  # no escape codes in a pipe
    assert json.loads(saved.read_text())["answer"] == "4"


def test_bad_options_are_one_line(tmp_path: Path) -> None:
    env = chat_env(tmp_path, {})
    for args, message in ((["--graph", "nope"], "unknown graph 'nope'"), (["--model", "gpt-9"], "unknown model")):
        proc = subprocess.run([sys.executable, "-c", ENTRY, "chat", *args], capture_output=True, text=True,
                              env=env, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
        assert proc.returncode != 0 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_plain_mode_human_review_reads_the_next_lines(tmp_path: Path) -> None:
    fake, judge = hard_fake()
    with serve_fake(fake) as url, serve_fake(judge) as judge_url:
        env = chat_env(tmp_path, {"ASSAY_BASE_URL": url, "ASSAY_JUDGE_URL": judge_url})
        proc = subprocess.run([sys.executable, "-c", ENTRY, "chat", "--human"], input="What is 2 + 2?\ne\nfour\n",
                              capture_output=True, text=True, env=env, timeout=180)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "proposed: '4'" in proc.stdout and "review: approve, edit or reject? [a/e/r]" in proc.stdout
    assert "answer: four" in proc.stdout and "stopped by human" in proc.stdout
