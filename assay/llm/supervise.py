"""Supervision of the servers `assay up` started: notice a dead or wedged one, restart it once, report the rest.

A client built by ``make_clients`` for an embedded server carries a ``ServerSupervisor``. When a call has used
up its attempts (or a stream breaks), the supervisor diagnoses the server: the process gone, ``/health``
failing, or the engine dead (vLLM answers ``EngineCore encountered an issue`` and then shuts its API down).
A sick server is restarted once, with the same command on the same port, under the home lock (several
``assay`` processes may notice the same death; one restarts, the others see the new process), and the call
gets one more round of attempts. A server that was already restarted and dies again is reported with the
last lines of its log (``ServerDied``). External endpoints (``ASSAY_BASE_URL``) get no supervisor: they are
never restarted, their failures are reported as they are.

``resume_after_restart`` re-runs a whole run once when a restart happened while it ran, so a run whose
stream broke when the engine died continues from its checkpoint.
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from assay.errors import AssayError, LLMError, LLMHTTPError, LLMTimeout, ServerDied, UnknownModel
from assay.llm import _procs
from assay.llm._launch import server_env
from assay.llm._metrics import engine_stalled
from assay.llm._state import ServerRecord, load_records, process_of, save_records
from assay.llm.provision import acquire, home_lock
from assay.llm.server import REUSE_HEALTH_TIMEOUT_S, is_healthy, log_tail, wait_healthy

__all__ = ["ServerSupervisor", "restarts_done", "resume_after_restart"]

T = TypeVar("T")
Report = Callable[[str], None]
RESTART_LIMIT = 1  # automatic restarts per server started by `assay up`
STARTUP_S = 600.0
STALL_WINDOW_S = 30.0  # a timed-out call's server counted no token this long with requests in flight: wedged
_LOCK = threading.Lock()  # one diagnosis/restart at a time in this process (any thread, any event loop)
_restarted_at: dict[tuple[Path, str], float] = {}  # (home, server name) -> time.time() a restart finished
_count = [0]


def restarts_done() -> int:
    """Restarts this process has completed (``resume_after_restart`` compares it before and after a run)."""
    return _count[0]


def _stderr(message: str) -> None:
    print(f"assay: {message}", file=sys.stderr, flush=True)


def _worth_checking(error: LLMError) -> bool:
    """Failures a dead or wedged server can cause; a 4xx is the request's fault, never the server's death."""
    if isinstance(error, UnknownModel):
        return False
    return not (isinstance(error, LLMHTTPError) and 400 <= error.status_code < 500 and error.status_code != 408)


def diagnose(record: ServerRecord, error: LLMError | None, health_timeout_s: float,
             stall_window_s: float = STALL_WINDOW_S) -> str | None:  # fmt: skip
    """Why ``record``'s server is dead or wedged, or ``None`` when it is fine (or merely busy)."""
    if process_of(record) is None:
        return "exited"
    text = str(error or "")
    if "EngineCore" in text or "EngineDead" in text:
        return "lost its engine (EngineDeadError)"
    if not is_healthy(record.base_url, timeout_s=health_timeout_s):
        return "does not answer /health"
    if isinstance(error, LLMTimeout) and (stuck := engine_stalled(record.base_url, stall_window_s)) is not None:
        return f"is wedged ({stuck:.0f} requests in flight, no token counted in {stall_window_s:g}s)"
    return None


class ServerSupervisor:
    """Restarts the servers ``names`` (records in ``home``'s servers.json) once each when they die."""

    def __init__(self, home: Path, names: Sequence[str], *, report: Report = _stderr,
                 health_timeout_s: float = REUSE_HEALTH_TIMEOUT_S, startup_s: float = STARTUP_S,
                 stall_window_s: float = STALL_WINDOW_S) -> None:  # fmt: skip
        self.home = home
        self.stall_window_s = stall_window_s
        self.names = tuple(names)
        self.report = report
        self.health_timeout_s = health_timeout_s
        self.startup_s = startup_s

    async def recover(self, error: LLMError, since: float) -> bool:
        """True when a server was restarted after ``since`` (``time.monotonic``), by us or another process."""
        if not _worth_checking(error):
            return False
        since_wall = time.time() - (time.monotonic() - since)
        return await asyncio.to_thread(self._recover, error, since_wall)

    def _recover(self, error: LLMError, since: float) -> bool:
        with _LOCK:
            if any(_restarted_at.get((self.home, n), -math.inf) > since for n in self.names):
                return True  # another call of this process restarted it while this one was failing
            lock = home_lock(self.home)
            acquire(lock, STARTUP_S, lambda _msg: None)
            try:
                return self._recover_locked(error, since)
            finally:
                lock.release()

    def _recover_locked(self, error: LLMError, since: float) -> bool:
        mine = [r for r in load_records(self.home) if r.name in self.names]
        sick = [(r, why) for r in mine if (why := self._diagnose(r, error)) is not None]
        if not sick:  # healthy: restarted by another process meanwhile, or the failure was not the server's
            return any(r.started_at > since for r in mine)
        for record, why in sick:
            if record.restarts >= RESTART_LIMIT:
                raise _died(record, f"{why} again after an automatic restart; start it with `assay up`")
            self._restart(record, why)
        return True

    def _diagnose(self, record: ServerRecord, error: LLMError) -> str | None:
        return diagnose(record, error, self.health_timeout_s, self.stall_window_s)

    def _restart(self, record: ServerRecord, why: str) -> None:
        self.report(f"{record.name} at {record.base_url} {why}; restarting it once (log: {record.log})")
        began = time.monotonic()
        proc = process_of(record)
        if proc is not None:
            _procs.kill_tree(proc, grace_s=10.0)
        _wait_port(record.host, record.port, 30.0)
        try:
            new = _respawn(self.home, record)
        except OSError as exc:
            raise _died(record, f"{why}, and cannot be restarted: {exc}") from None
        try:
            wait_healthy([new], self.startup_s, None)
        except AssayError as exc:
            raise _died(new, f"{why}, and the restart failed: {str(exc).splitlines()[0]}") from None
        _restarted_at[(self.home, record.name)] = time.time()
        _count[0] += 1
        self.report(f"{record.name} restarted in {time.monotonic() - began:.0f}s (pid {new.pid}); continuing")


def _respawn(home: Path, record: ServerRecord) -> ServerRecord:
    """The same command on the same port (clients keep their URLs); the log keeps the crash above it."""
    with Path(record.log).open("a") as log:
        log.write(f"\n--- restarted by assay at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n")
    proc = _procs.spawn(record.argv, Path(record.log), server_env(home, record.role), home, append=True)
    new = replace(record, pid=proc.pid, create_time=proc.create_time(), started_at=time.time(),
                  restarts=record.restarts + 1)  # fmt: skip
    save_records(home, [new if r.name == record.name else r for r in load_records(home)])
    return new


def _wait_port(host: str, port: int, timeout_s: float) -> None:
    """A killed server's port can stay bound for a moment; wait until it can be taken again."""
    end = time.monotonic() + timeout_s
    while not _procs.port_is_free(host, port) and time.monotonic() < end:
        time.sleep(0.25)


def _died(record: ServerRecord, what: str) -> ServerDied:
    tail = "\n".join(f"  | {line}" for line in log_tail(record.log).splitlines())
    return ServerDied(f"the model server {record.name} ({record.base_url}) {what}; last lines of {record.log}:\n{tail}")


async def resume_after_restart(start: Callable[[], Awaitable[T]], report: Report = _stderr) -> T:
    """``await start()``; if it fails with an ``LLMError`` after a server restart in this process, run it once more.

    ``start`` must resume rather than redo (e.g. ``run(..., thread_id=ID)``: the checkpoint keeps finished nodes).
    """
    before = restarts_done()
    try:
        return await start()
    except LLMError:
        if restarts_done() == before:
            raise
    report("the model server was restarted: resuming the run from its checkpoint")
    return await start()
