"""Process faults of `assay run` itself, checked in the process table: SIGTERM and Ctrl-C leave no orphans,
a SIGKILL mid-run loses only the running node (``--thread`` resumes it, same answer as an uninterrupted run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from assay.llm import _procs
from assay.tools import _isolation

FAKE_VLLM = Path(__file__).with_name("_fake_vllm.py")
SLOW_SOLUTION = "```python\ndef add(a, b):\n    import time\n    time.sleep({sleep})\n    return a + b\n```"
QUESTION = "Write a Python function add(a, b) that returns the sum of a and b."


@dataclass
class Backend:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def requests(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.startswith("REQUEST")]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    """The stand-in server answering every chat with an add() that sleeps 30 s: the sandbox is busy (its 10 s
    timeout, enforced by `assay run`, ends it; an orphan would outlive the test's 3 s wait)."""
    state = tmp_path / "fake"
    state.mkdir()
    (state / "mode.json").write_text(json.dumps({"reply": SLOW_SOLUTION.format(sleep=30)}))
    port = _procs.free_port("127.0.0.1")
    log = tmp_path / "fake.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, str(FAKE_VLLM), "127.0.0.1", str(port), str(state)], stdout=sink)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield Backend(url, log, proc)
    proc.kill()
    proc.wait(10)


def assay_run(url: str | None, home: Path, *args: str) -> subprocess.Popen[str]:
    """`assay run` on a code task: against ``url`` (external), or the servers recorded in ``home`` when None."""
    tests = home / "tests.txt"
    tests.write_text("assert add(1, 2) == 3\n")
    env = {**os.environ, "ASSAY_MODEL": "m", "ASSAY_HOME": str(home), "ASSAY_SAMPLES": "1", "ASSAY_MAX_ROUNDS": "1"}
    if url:
        env["ASSAY_BASE_URL"] = url
    argv = [sys.executable, "-c", "from assay.cli.main import main; main()", "run", QUESTION, "--kind", "code",
            "--tests", str(tests), "--json", *args]  # fmt: skip
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def sandbox_children(proc: subprocess.Popen[str], timeout_s: float = 90.0) -> list[psutil.Process]:
    """Wait until the run executes code in the sandbox; return all its descendants then."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        kids = psutil.Process(proc.pid).children(recursive=True)
        if any(_is_program(kid) for kid in kids):
            time.sleep(0.3)  # the program under test runs (the bootstrap has armed PR_SET_PDEATHSIG)
            return psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.05)
    raise AssertionError("the run never reached the sandbox")


def _is_program(proc: psutil.Process) -> bool:
    """The sandbox's interpreter running the tests (``python -I -S -c BOOTSTRAP``), not unshare or a probe."""
    cmd = _cmdline(proc)
    return len(cmd) > 1 and cmd[1] == "-I" and "main.py" in " ".join(cmd)


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


def no_survivors(procs: list[psutil.Process]) -> list[str]:
    _, alive = psutil.wait_procs(procs, timeout=3)
    return [" ".join(_cmdline(p)) for p in alive if _running(p)]


def _running(proc: psutil.Process) -> bool:
    """Not gone and not a zombie (an exited orphan waiting for init to reap it runs nothing)."""
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_signal_mid_run_leaves_no_orphan_processes(sig: signal.Signals, backend: Backend, tmp_path: Path) -> None:
    proc = assay_run(backend.url, tmp_path)
    kids = sandbox_children(proc)
    proc.send_signal(sig)
    proc.wait(30)
    assert no_survivors(kids) == []
    if sig in (signal.SIGINT, signal.SIGTERM):  # both: a clean shutdown that says how to resume
        err = proc.stderr.read() if proc.stderr else ""
        code = 130 if sig == signal.SIGINT else 143
        assert proc.returncode == code and "resume with --thread" in err and "Traceback" not in err, err


def test_sigkill_mid_run_then_resume_finishes_without_redoing_finished_nodes(backend: Backend, tmp_path: Path) -> None:
    killed = assay_run(backend.url, tmp_path, "--thread", "k1")
    sandbox_children(killed)  # the solver answered; the verifier is running its tests
    before = len(backend.requests())
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    resumed = assay_run(backend.url, tmp_path, "--thread", "k1")
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    after = backend.requests()[before:]
    assert not any("careful problem solver" in line for line in after), after  # the solver was not asked again
    clean = assay_run(backend.url, tmp_path, "--thread", "k2")
    clean_out, clean_err = clean.communicate(timeout=240)
    assert clean.returncode == 0, clean_err
    assert json.loads(out)["answer"] == json.loads(clean_out)["answer"]


def test_killing_the_embedded_server_mid_run_rides_the_restart(tmp_path: Path) -> None:
    from assay.llm._state import load_records
    from assay.llm.models import ModelSpec
    from assay.llm.server import ensure_up, stop_servers
    from assay.settings import Settings

    state = tmp_path / "fake"
    state.mkdir()
    (state / "mode.json").write_text(json.dumps({"reply": SLOW_SOLUTION.format(sleep=30)}))
    settings = Settings(home=tmp_path, base_url=None)
    spec = ModelSpec(name="m", role="generator", served_name="m", weights="m", local_dir=tmp_path)

    def launch(spec: ModelSpec, host: str, port: int) -> list[str]:
        return [sys.executable, str(FAKE_VLLM), host, str(port), str(state)]

    (record,) = ensure_up(settings, [spec], launcher=launch, report=lambda _m: None, timeout_s=60).records
    try:
        proc = assay_run(None, tmp_path)
        sandbox_children(proc)  # the solver has answered
        psutil.Process(record.pid).kill()
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert "exited; restarting it once" in err and "m restarted in" in err
        assert json.loads(out)["thread_id"] and load_records(tmp_path)[0].restarts == 1
    finally:
        stop_servers(settings, grace_s=5)


def _programs_with_cpu_limit(cpu_s: int) -> list[psutil.Process]:
    """Live sandbox bootstraps whose CPU rlimit argument is ``cpu_s`` (the marker of one test's programs)."""
    found = []
    for proc in psutil.process_iter():
        cmd = _cmdline(proc)  # python -I -S -c BOOTSTRAP uid cpu_s ...
        if len(cmd) > 6 and cmd[6] == str(cpu_s) and _is_program(proc) and _running(proc):
            found.append(proc)
    return found


@pytest.mark.parametrize("isolation", ["bwrap", "unshare"])
@pytest.mark.parametrize("delay_us", [0, 500, 1000, 2000, 3000, 5000, 7500, 10000])
def test_sigkill_in_the_first_milliseconds_of_a_sandbox_start_leaves_no_program(isolation: str, delay_us: int) -> None:
    """The race the bootstrap's lifeline closes: `assay` SIGKILLed while its sandbox child forks, before the
    program has re-armed PR_SET_PDEATHSIG after its uid drop. A looping program that escaped would run until
    its CPU rlimit (minutes); none may be alive 3 s after the kill. Measured without the lifeline on the
    unshare backend: 14 of 40 kills at 0-10 ms left the program running."""
    if not _isolation._probe(isolation):  # type: ignore[arg-type]
        pytest.skip(f"{isolation} is not usable on this machine")
    timeout_s = 300 + os.getpid() % 97 + delay_us // 500  # its CPU rlimit (timeout + 1) marks this test's programs
    code = ("import asyncio\nfrom assay.tools.sandbox import run_python\n"
            f"asyncio.run(run_python('while True: pass', timeout_s={timeout_s}, isolation={isolation!r}))")  # fmt: skip
    driver = subprocess.Popen([sys.executable, "-c", code])
    try:
        parent = psutil.Process(driver.pid)
        end = time.monotonic() + 60
        while not parent.children() and time.monotonic() < end:
            time.sleep(0.0005)
        assert parent.children(), "the sandbox never started"
        time.sleep(delay_us / 1e6)
        driver.kill()
        driver.wait(10)
        time.sleep(3)
        survivors = _programs_with_cpu_limit(timeout_s + 1)
        assert survivors == [], [" ".join(_cmdline(p)) for p in survivors]
    finally:
        driver.kill()
        for proc in _programs_with_cpu_limit(timeout_s + 1):
            proc.kill()
