"""Supervise one child process on the event loop: capped output, wall clock, whole-tree kill.

Not ``asyncio.create_subprocess_exec``: on Python 3.11 its default child watcher starts a thread per child,
which measured 40-160 ms per run on a loaded 2-core machine (more than the sandbox itself). Here the exit is
awaited through a pidfd on the loop (Linux >= 5.3), with a worker-thread ``wait`` as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from assay.tools import _disk

_CHUNK = 65536
_DRAIN_GRACE_S = 2.0
_PR_SET_PDEATHSIG = 1
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None  # resolved before any fork


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when `assay` dies (SIGTERM, SIGKILL), so no sandboxed program
    outlives the run; unshare's ``--kill-child`` and bwrap's ``--die-with-parent`` take the namespace down."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Stream:
    """One captured output stream, capped at ``limit`` bytes (a print loop cannot exhaust our memory)."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    truncated: bool = False

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class Finished:
    returncode: int
    stdout: Stream
    stderr: Stream
    reason: str | None  # why we killed it: "timeout", "output", "disk", or None


class _Child:
    def __init__(self, proc: subprocess.Popen[bytes], limit: int) -> None:
        self.proc = proc
        self.loop = asyncio.get_running_loop()
        self.reason: str | None = None
        self.streams = {"out": Stream(limit), "err": Stream(limit)}
        self.closed: list[asyncio.Future[None]] = []

    def kill(self, reason: str | None = None) -> None:
        """SIGKILL the whole process group; the namespace backends take their pid namespace along."""
        if reason and self.reason is None:
            self.reason = reason
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def watch(self, fd: int, stream: Stream) -> None:
        done: asyncio.Future[None] = self.loop.create_future()
        os.set_blocking(fd, False)

        def readable() -> None:
            try:
                chunk = os.read(fd, _CHUNK)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.loop.remove_reader(fd)
                if not done.done():
                    done.set_result(None)
                return
            room = stream.limit - len(stream.data)
            stream.data += chunk[: max(room, 0)]
            if len(chunk) > room and not stream.truncated:
                stream.truncated = True
                self.kill("output")

        self.loop.add_reader(fd, readable)
        self.closed.append(done)

    def feed(self, data: bytes) -> None:
        """Write stdin as the pipe accepts it, then close it (EOF); never blocks the loop."""
        pipe = self.proc.stdin
        if pipe is None:
            return
        fd, view = pipe.fileno(), memoryview(data)
        os.set_blocking(fd, False)

        def writable() -> None:
            nonlocal view
            try:
                view = view[os.write(fd, view[:_CHUNK]) :] if view else view
            except BlockingIOError:
                return
            except OSError:
                view = view[:0]
            if not view:
                self.close_stdin()

        self.loop.add_writer(fd, writable)

    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.loop.remove_writer(self.proc.stdin.fileno())
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    async def exited(self) -> None:
        try:
            pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            await asyncio.to_thread(self.proc.wait)
            return
        ready: asyncio.Future[None] = self.loop.create_future()
        self.loop.add_reader(pidfd, _resolve, ready)
        try:
            await ready
        finally:
            self.loop.remove_reader(pidfd)
            os.close(pidfd)
        self.proc.wait()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def supervise(
    argv: list[str],
    cwd: str,
    env: Mapping[str, str],
    stdin: bytes | None,
    timeout_s: float,
    limit: int,
    disk_quota_bytes: int | None = None,
) -> Finished:
    """Run ``argv`` in its own session; kill its group on timeout, output overflow or (with a quota) once the
    work dir ``cwd`` holds more than ``disk_quota_bytes``, and always once it exits."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # one prctl call between fork and exec
    )
    child = _Child(proc, limit)
    assert proc.stdout is not None and proc.stderr is not None
    child.watch(proc.stdout.fileno(), child.streams["out"])
    child.watch(proc.stderr.fileno(), child.streams["err"])
    if stdin is not None:
        child.feed(stdin)
    guard = None
    if disk_quota_bytes is not None:
        guard = asyncio.create_task(_disk.watch(cwd, disk_quota_bytes, lambda: child.kill("disk")))
    try:
        await asyncio.wait_for(child.exited(), timeout_s)
    except TimeoutError:
        child.kill("timeout")
    finally:
        if guard is not None:
            guard.cancel()
        child.kill()  # leftovers in the group (weak mode); the namespace backends are already gone
        if proc.returncode is None:
            await child.exited()
        child.close_stdin()
        await asyncio.wait(child.closed, timeout=_DRAIN_GRACE_S)  # weak mode: an escapee may hold a pipe
        for pipe in (proc.stdout, proc.stderr):
            with contextlib.suppress(ValueError, OSError):
                child.loop.remove_reader(pipe.fileno())
            pipe.close()
    return Finished(proc.returncode, child.streams["out"], child.streams["err"], child.reason)
