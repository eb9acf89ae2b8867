"""Process-tree helpers for server lifecycle: kill a whole tree, sum its memory, find free ports.

vLLM forks an engine-core process (and more); stopping only the parent would leave them running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

import psutil


def tree(proc: psutil.Process) -> list[psutil.Process]:
    """``proc`` and all its descendants that still exist."""
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _signal_all(procs: list[psutil.Process], sig: signal.Signals, pgid: int | None) -> None:
    if pgid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.send_signal(sig)


def kill_tree(proc: psutil.Process, grace_s: float = 15.0) -> None:
    """SIGTERM the process group and every descendant; SIGKILL what is left after ``grace_s``.

    The group is only signalled when ``proc`` leads it (we start servers with ``start_new_session``),
    so an unrelated group is never hit.
    """
    members = tree(proc)
    try:
        pgid: int | None = proc.pid if os.getpgid(proc.pid) == proc.pid else None
    except ProcessLookupError:
        pgid = None
    _signal_all(members, signal.SIGTERM, pgid)
    _, alive = psutil.wait_procs(members, timeout=grace_s)
    if alive:
        _signal_all(alive + [p for p in tree(proc) if p not in alive], signal.SIGKILL, pgid)
        psutil.wait_procs(alive, timeout=5)


def rss_mb(proc: psutil.Process) -> float:
    """Resident memory of the whole tree, in MB."""
    total = 0
    for member in tree(proc):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += member.memory_info().rss
    return round(total / 1e6, 1)


def free_port(host: str) -> int:
    """A port the OS says is free now (a tiny race with other programs remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def spawn(argv: list[str], log: Path, env: Mapping[str, str], cwd: Path, *, append: bool = False) -> psutil.Process:
    """Start ``argv`` detached (own session, so it outlives us) with stdout+stderr in ``log``.

    The command line heads the log; ``append`` keeps what an earlier run of the server wrote (a restart).
    Raises ``OSError`` when the program cannot be started.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a" if append else "w") as sink:
        sink.write(f"$ {' '.join(argv)}\n")
        sink.flush()
        proc = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env), start_new_session=True, cwd=cwd,
        )  # fmt: skip
    return psutil.Process(proc.pid)
