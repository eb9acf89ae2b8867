"""The servers.json state file: which vLLM processes `assay up` started, written atomically.

A record pins a process by (pid, create_time), or by (pid, argv) once the start time has drifted, so a
reused pid is never mistaken for our server.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

STATE_FILE = "servers.json"


@dataclass(frozen=True)
class ServerRecord:
    """One server process started by ``assay up``."""

    name: str  # registry name, e.g. "smollm2-judge"
    role: str  # "generator" | "judge" | "embedder"
    model: str  # served model name
    pid: int
    create_time: float
    host: str
    port: int
    log: str
    started_at: float = 0.0
    argv: list[str] = field(default_factory=list)
    restarts: int = 0  # automatic restarts after a crash (assay.llm.supervise allows one)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "base_url": self.base_url}


def state_path(home: Path) -> Path:
    return home / STATE_FILE


def load_records(home: Path) -> list[ServerRecord]:
    """All records in the state file; a missing or unreadable file means no servers."""
    try:
        raw = json.loads(state_path(home).read_text())
        fields = ServerRecord.__dataclass_fields__
        return [ServerRecord(**{k: v for k, v in item.items() if k in fields}) for item in raw["servers"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save_records(home: Path, records: list[ServerRecord]) -> None:
    """Write via a temp file + ``os.replace`` so a reader never sees a half-written file."""
    home.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"servers": [r.to_json() for r in records]}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".servers.", suffix=".json")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(body + "\n")
        os.replace(tmp, state_path(home))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def process_of(record: ServerRecord) -> psutil.Process | None:
    """The live process the record describes, or None if it exited or the pid was reused.

    The start time alone is not enough: psutil adds it to the kernel's boot time, which moves as the clock is
    corrected (boot time + uptime was 0.7 s off the wall clock after 19 h on this machine kind); a server up
    for 40 minutes read as "gone" and ``assay down`` forgot it while it kept running. Past the 0.5 s match
    the recorded command line decides.
    """
    try:
        proc = psutil.Process(record.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if abs(proc.create_time() - record.create_time) <= 0.5:
            return proc
        return proc if record.argv and proc.cmdline() == record.argv else None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def live_records(home: Path) -> list[ServerRecord]:
    """Records whose process still runs (no health check: that needs the network)."""
    return [r for r in load_records(home) if process_of(r) is not None]
