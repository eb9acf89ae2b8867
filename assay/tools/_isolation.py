"""Which isolation backend is available, and the command line that wraps the interpreter in it.

Backends, strongest first:
- ``bwrap``: bubblewrap with new network/pid/ipc/uts namespaces, read-only ``/``, private tmpfs ``/tmp``, the
  work dir bound read-write, ``--die-with-parent`` so the whole pid namespace dies with the run.
- ``unshare``: util-linux ``unshare`` with new network/pid/mount namespaces (``--kill-child``) and private
  tmpfs ``/tmp``, ``/var/tmp``, ``/dev/shm``; the rest of the file system is protected by the unprivileged uid.
- ``none`` (weak, explicit opt-in only): a plain process group with rlimits and a scrubbed environment.

When we run as root the program runs under a random unprivileged uid (see ``_limits``), so an interpreter
under a private directory (pyenv in ``/root``) is bind-mounted read-only at ``PY_MOUNT``.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile

from assay.tools._limits import Limits
from assay.tools.types import Isolation

PY_MOUNT = "/tmp/.assay-python"
# A private /tmp is RAM the address-space limit does not count: without a size a loop of capped files fills
# half the host's memory in seconds. Capped like one file (RLIMIT_FSIZE).
TMPFS_BYTES = Limits.fsize_mb << 20
_NAMESPACED: tuple[Isolation, ...] = ("bwrap", "unshare")

# unshare backend: runs as (namespace) root, sets up private mounts, then execs the interpreter.
# $1 work dir, $2 interpreter prefix to relocate (or ""), $3 "1" to hide /root, rest: the command.
_UNSHARE_SCRIPT = """\
cd "$1" || exit 125
for d in /tmp /var/tmp /dev/shm; do [ -d $d ] && { mount -t tmpfs -o mode=1777,size=$SIZE none $d || exit 125; }; done
if [ -n "$2" ]; then mkdir $PY && mount --bind "$2" $PY || exit 125; fi
if [ "$3" = 1 ]; then mount -t tmpfs -o mode=755 none /root || exit 125; fi
shift 3; exec "$@"
""".replace("$PY", PY_MOUNT).replace("$SIZE", str(TMPFS_BYTES))


@functools.cache
def host_interpreter() -> tuple[str, str]:
    """(real executable, real prefix) of the running Python: the sandbox runs the same version."""
    return os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix)


def _world_executable(path: str) -> bool:
    """True when any user can reach and execute ``path`` (every ancestor has o+x)."""
    current = path
    while True:
        try:
            if not os.stat(current).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return True
        current = parent


def can_drop_uid(isolation: Isolation) -> bool:
    """Weak mode has no mount namespace to expose a private interpreter, so it can only drop to a uid that
    can run the interpreter in place."""
    return isolation != "none" or _world_executable(host_interpreter()[1])


@functools.cache
def _private_prefix() -> str:
    """The interpreter prefix when another uid cannot run the interpreter in place, else ""; checked once,
    not on every run (the path walk would repeat for the argv and the mounts)."""
    exe, prefix = host_interpreter()
    if _world_executable(exe) or not exe.startswith(prefix + os.sep):
        return ""
    return prefix


def _relocated_prefix(uid: int) -> str:
    """The interpreter prefix to bind at PY_MOUNT, or "" when the sandbox uid can run it in place."""
    return _private_prefix() if uid else ""


def python_argv(uid: int, tail: list[str]) -> list[str]:
    """``python -I -S`` (isolated, no site: fast start, ignores PYTHON* env vars) at its in-sandbox path."""
    exe, prefix = host_interpreter()
    relocated = _relocated_prefix(uid)
    inner = PY_MOUNT + exe[len(prefix) :] if relocated else exe
    return [inner, "-I", "-S", *tail]


def _bwrap_argv(workdir: str, uid: int, command: list[str]) -> list[str]:
    argv = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    argv += ["--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for private in ("/tmp", "/var/tmp", "/dev/shm"):
        argv += ["--size", str(TMPFS_BYTES), "--tmpfs", private]
    if uid:  # privileged bwrap (we are root): the bootstrap drops to ``uid`` itself
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        if relocated := _relocated_prefix(uid):
            argv += ["--ro-bind", relocated, PY_MOUNT]
        if os.path.isdir("/root"):
            argv += ["--tmpfs", "/root"]
    else:
        argv += ["--unshare-user", "--disable-userns"]
    return [*argv, "--bind", workdir, workdir, "--chdir", workdir, "--", *command]


def _unshare_argv(workdir: str, uid: int, command: list[str]) -> list[str]:
    argv = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc", "--uts"]
    if not uid:
        argv.append("--map-root-user")
    hide_root = "1" if uid and os.path.isdir("/root") else "0"
    script_args = [workdir, _relocated_prefix(uid), hide_root]
    return [*argv, "--", "/bin/sh", "-c", _UNSHARE_SCRIPT, "sh", *script_args, *command]


def wrap(isolation: Isolation, workdir: str, uid: int, command: list[str]) -> list[str]:
    """The full argv that runs ``command`` inside ``isolation`` with ``workdir`` writable."""
    if isolation == "bwrap":
        return _bwrap_argv(workdir, uid, command)
    if isolation == "unshare":
        return _unshare_argv(workdir, uid, command)
    return command


def _probe(isolation: Isolation) -> bool:
    """Run a no-op interpreter in ``isolation`` once: installed is not enough (user namespaces may be off)."""
    if shutil.which(isolation) is None:
        return False
    uid = 65534 if os.geteuid() == 0 else 0
    with tempfile.TemporaryDirectory(prefix="assay-probe-") as workdir:
        command = python_argv(uid, ["-c", f"import os\nif {uid}: os.setuid({uid})"])
        try:
            done = subprocess.run(wrap(isolation, workdir, uid, command), capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return False
    return done.returncode == 0


@functools.cache
def available_isolation() -> Isolation:
    """The strongest backend that works on this machine ("none" if no namespace backend works)."""
    return next((iso for iso in _NAMESPACED if _probe(iso)), "none")
