"""Resource limits and the tiny bootstrap that applies them inside the sandbox.

The bootstrap runs as ``python -I -S -c BOOTSTRAP ...``: it sets hard rlimits (so the program cannot raise
them again), drops to an unprivileged uid when the sandbox started as root (RLIMIT_NPROC is not enforced for
root, so a fork bomb is only contained once the uid is not 0), then executes ``main.py`` from the work dir.
Doing this in the child interpreter avoids ``preexec_fn`` (which forces a slow fork of the parent).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

MAIN_FILE = "main.py"

# argv: uid cpu_s as_bytes nproc fsize_bytes nofile no_new_privs (bwrap sets no_new_privs itself; the other
# backends need it so setuid-root binaries cannot regain privileges after the uid drop). The same backends
# re-arm PR_SET_PDEATHSIG (SIGKILL) after the uid drop, which clears it: the program dies with its parent.
# A parent that died before the re-arm sends no signal, so the bootstrap then checks its lifeline: stdout is a
# pipe only `assay` reads, and a pipe whose reader is gone polls POLLERR (8). Then it exits 137 before main.py.
BOOTSTRAP = """\
import os,sys,resource as R
a=[int(x) for x in sys.argv[1:8]]
c=a[1];R.setrlimit(R.RLIMIT_CPU,(c,c+1))
L=(R.RLIMIT_AS,R.RLIMIT_NPROC,R.RLIMIT_FSIZE,R.RLIMIT_NOFILE,R.RLIMIT_CORE)
for k,v in zip(L,a[2:6]+[0]):R.setrlimit(k,(v,v))
if a[6]:import ctypes;ctypes.CDLL(None).prctl(38,1,0,0,0)
if a[0]>0:os.setgroups([]);os.setgid(a[0]);os.setuid(a[0])
if a[6]:ctypes.CDLL(None).prctl(1,9,0,0,0)
import select as S;P=S.poll();P.register(1,4)
if any(e&8 for _,e in P.poll(0)):os._exit(137)
sys.argv=['main.py'];del a,c,k,v,L,P,S
exec(compile(open('main.py','rb').read(),'main.py','exec'),{'__name__':'__main__','__builtins__':__builtins__})
"""

# Unprivileged uids for runs started as root: random per run so that concurrent sandboxes do not share an
# RLIMIT_NPROC budget (the kernel counts processes per uid) and cannot signal each other.
_UID_BASE = 1_500_000_000
_UID_SPAN = 1 << 24


@dataclass(frozen=True)
class Limits:
    """Per-run resource limits, applied as hard rlimits by the bootstrap."""

    cpu_s: int
    memory_mb: int
    nproc: int = 64
    fsize_mb: int = 64
    nofile: int = 256

    def argv(self, uid: int, no_new_privs: bool) -> list[str]:
        """The bootstrap's argv tail (uid 0 means: keep the current uid)."""
        values = (
            uid,
            self.cpu_s,
            self.memory_mb << 20,
            self.nproc,
            self.fsize_mb << 20,
            self.nofile,
            int(no_new_privs),
        )
        return [str(v) for v in values]


def sandbox_uid() -> int:
    """A fresh unprivileged uid when running as root, else 0 (stay as the current, already unprivileged user)."""
    if os.geteuid() != 0:
        return 0
    return _UID_BASE + random.randrange(_UID_SPAN)


def count_user_processes(uid: int) -> int:
    """Processes owned by ``uid`` now: weak mode sets RLIMIT_NPROC relative to it (the limit is per user)."""
    count = 0
    with os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                try:
                    count += entry.stat().st_uid == uid
                except OSError:
                    continue
    return count
