"""Run untrusted, model-written Python in an isolated child process (see docs/sandbox.md).

Every run gets a fresh work dir, a new network + pid namespace (no network at all, nothing outlives the run),
hard rlimits (CPU, address space, processes, file size, open files), a wall-clock timeout that kills the whole
tree, a scrubbed environment and capped output. Without namespaces it refuses (``SandboxError``) unless the
caller opts in to the weak mode (``allow_weak=True``, from ``Settings.sandbox_allow_weak``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Mapping, Sequence

from assay.errors import InputError, SandboxError
from assay.tools._isolation import available_isolation, can_drop_uid, python_argv, wrap
from assay.tools._limits import BOOTSTRAP, MAIN_FILE, Limits, count_user_processes, sandbox_uid
from assay.tools._proc import Finished, supervise
from assay.tools.types import ExecResult, Isolation

__all__ = ["available_isolation", "run_python", "run_python_files", "run_python_sync"]

DEFAULT_MAX_OUTPUT = 1 << 20
DEFAULT_DISK_MB = 256  # total size of the work dir; RLIMIT_FSIZE alone caps each file, not their sum
_SIGNAL_REASONS = {signal.SIGXCPU: "cpu", signal.SIGXFSZ: "file size"}
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

Files = Mapping[str, str | bytes]


def _check_args(timeout_s: float, memory_mb: int, disk_mb: int, files: Files | None) -> None:
    if not timeout_s > 0:
        raise InputError(f"sandbox timeout must be positive, got {timeout_s}")
    if memory_mb < 32:
        raise InputError(f"sandbox memory limit must be at least 32 MB, got {memory_mb}")
    if disk_mb < 1:
        raise InputError(f"sandbox disk quota must be at least 1 MB, got {disk_mb}")
    for name in files or {}:
        parts = name.split("/")
        if not name or name.startswith("/") or ".." in parts or name == MAIN_FILE:
            raise InputError(f"sandbox file name must be a relative path inside the work dir: {name!r}")


def _resolve_isolation(allow_weak: bool, isolation: Isolation | None) -> Isolation:
    chosen = isolation or available_isolation()
    if chosen == "none" and not allow_weak:
        raise SandboxError(
            "no sandbox isolation available (install bubblewrap or enable unprivileged user namespaces); "
            "set sandbox_allow_weak to run code without namespaces"
        )
    return chosen


def _encode(content: str | bytes) -> bytes:
    """UTF-8, lone surrogates included (model text can hold them): the program then fails on its own bytes
    like any broken program, instead of the run raising ``UnicodeEncodeError``."""
    return content.encode("utf-8", errors="surrogatepass") if isinstance(content, str) else content


def _fill_workdir(workdir: str, code: str, files: Files | None, uid: int) -> None:
    """main.py and the input files in the fresh work dir, owned by the sandbox uid."""
    payload: dict[str, str | bytes] = {**(files or {}), MAIN_FILE: code}
    for name, content in payload.items():
        path = os.path.join(workdir, name)
        data = _encode(content)
        try:  # names that clash ("a" and "a/b"), name a directory ("d/") or hold a NUL byte (ValueError)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise InputError(f"cannot write sandbox file {name!r}: {reason}") from None
    if uid:
        for root, dirs, names in os.walk(workdir):
            for entry in [root, *(os.path.join(root, n) for n in dirs + names)]:
                os.chown(entry, uid, uid)


def _nproc(isolation: Isolation, uid: int) -> int:
    """Namespaced runs count processes per user namespace; weak mode shares the user's own budget."""
    base = Limits.nproc
    if isolation != "none" or uid:
        return base
    return count_user_processes(os.geteuid()) + base


def _killed_reason(code: int | None, stderr: str, ours: str | None) -> str | None:
    if ours:
        return ours
    if code is None or code >= 0:
        return "memory" if code and "MemoryError" in stderr[-2000:] else None
    sig = -code
    return _SIGNAL_REASONS.get(signal.Signals(sig), f"signal {sig}") if sig in signal.valid_signals() else None


def _normalize_exit(code: int | None, isolation: Isolation) -> int | None:
    """bwrap/unshare report a signal death as 128+N; report it as -N like subprocess does."""
    if code is not None and isolation != "none" and 128 < code < 128 + 65:
        return 128 - code
    return code


async def run_python_files(
    code: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 512,
    files: Files | None = None,
    stdin: str | bytes | None = None,
    allow_weak: bool = False,
    collect: Sequence[str] = (),
    max_output_bytes: int = DEFAULT_MAX_OUTPUT,
    isolation: Isolation | None = None,
    disk_mb: int = DEFAULT_DISK_MB,
) -> tuple[ExecResult, dict[str, bytes]]:
    """Like ``run_python``, and also read back the work-dir files named in ``collect`` (capped in size)."""
    _check_args(timeout_s, memory_mb, disk_mb, files)
    chosen = _resolve_isolation(allow_weak, isolation)
    uid = sandbox_uid() if can_drop_uid(chosen) else 0
    limits = Limits(cpu_s=max(1, int(timeout_s) + 1), memory_mb=memory_mb, nproc=_nproc(chosen, uid))
    workdir = tempfile.mkdtemp(prefix="assay-sbx-")
    try:
        _fill_workdir(workdir, code, files, uid)
        started = time.monotonic()
        command = python_argv(uid, ["-c", BOOTSTRAP, *limits.argv(uid, chosen != "bwrap")])
        data = None if stdin is None else _encode(stdin)
        env = {**_ENV, "HOME": workdir, "TMPDIR": workdir}
        argv = wrap(chosen, workdir, uid, command)
        try:
            done = await supervise(argv, workdir, env, data, timeout_s, max_output_bytes, disk_mb * 2**20)
        except OSError as exc:
            raise SandboxError(f"cannot start the sandbox: {exc}") from exc
        collected = _read_back(workdir, collect, max_output_bytes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _result(done, chosen, time.monotonic() - started), collected


def _result(done: Finished, isolation: Isolation, duration_s: float) -> ExecResult:
    exit_code = _normalize_exit(done.returncode, isolation)
    out, err = done.stdout, done.stderr
    reason = _killed_reason(exit_code, err.text(), done.reason)
    return ExecResult(
        ok=exit_code == 0 and reason is None,
        exit_code=exit_code,
        stdout=out.text(),
        stderr=err.text(),
        timed_out=done.reason == "timeout",
        killed_reason=reason,
        duration_s=duration_s,
        isolation=isolation,
        truncated=out.truncated or err.truncated,
    )


def _read_back(workdir: str, names: Sequence[str], limit: int) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for name in names:
        path = os.path.join(workdir, name)
        try:  # O_NOFOLLOW: the program could have left a symlink to a host file
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a directory or a FIFO left by the program
            os.close(fd)
            continue
        with os.fdopen(fd, "rb") as handle:
            found[name] = handle.read(limit)
    return found


async def run_python(
    code: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 512,
    files: Files | None = None,
    stdin: str | bytes | None = None,
    allow_weak: bool = False,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT,
    isolation: Isolation | None = None,
    disk_mb: int = DEFAULT_DISK_MB,
) -> ExecResult:
    """Run ``code`` as ``main.py`` in a fresh sandbox; ``isolation`` forces a backend (default: strongest).

    ``disk_mb`` caps what the program may store in its work dir in total (files, and more than 10,000 entries
    count as over); past it the run is killed with ``killed_reason="disk"``."""
    result, _ = await run_python_files(
        code,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        files=files,
        stdin=stdin,
        allow_weak=allow_weak,
        max_output_bytes=max_output_bytes,
        isolation=isolation,
        disk_mb=disk_mb,
    )
    return result


def run_python_sync(code: str, **kwargs: object) -> ExecResult:
    """Blocking ``run_python`` for scripts and notebooks without a running event loop."""
    return asyncio.run(run_python(code, **kwargs))  # type: ignore[arg-type]
