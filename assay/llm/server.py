"""Embedded vLLM server lifecycle: start (provisioning on first use), health, status and stop.

Servers run detached (own session) with output in ``<home>/logs/<name>.log``; ``servers.json`` records each
by pid + create_time (+ argv, see ``_state.process_of``) so ``assay down`` stops exactly what ``assay up``
started, never a reused pid.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assay.errors import AssayError, ServerError
from assay.llm import _procs
from assay.llm._launch import Launcher, provisioned_launcher, server_env
from assay.llm._request import normalise_base_urls
from assay.llm._state import ServerRecord, load_records, process_of, save_records
from assay.llm.models import Endpoint, ModelSpec, get_model, resolve_endpoint
from assay.llm.provision import acquire, home_lock
from assay.settings import Settings

Report = Callable[[str], None]
Progress = Callable[[dict[str, str]], None]

DEFAULT_MODELS = ("smollm2", "smollm2-judge")
LOG_TAIL = 15


@dataclass
class UpResult:
    """What ``ensure_up`` did: ``started`` lists servers this call launched (empty when all were running)."""

    records: list[ServerRecord] = field(default_factory=list)
    started: list[ServerRecord] = field(default_factory=list)
    external: str | None = None
    seconds: float = 0.0


def _answers(url: str, headers: dict[str, str] | None = None, timeout_s: float = 2.0) -> bool:
    """True when a GET of ``url`` gets HTTP 200; any transport failure is just False (a probe)."""
    try:
        return httpx.get(url, headers=headers, timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


REUSE_HEALTH_TIMEOUT_S = 15.0


def is_healthy(base_url: str, timeout_s: float = 2.0) -> bool:
    return _answers(f"{base_url}/health", timeout_s=timeout_s)


def log_tail(path: Path | str, lines: int = LOG_TAIL) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _launch(home: Path, spec: ModelSpec, argv: list[str], host: str, port: int) -> ServerRecord:
    log = home / "logs" / f"{spec.name}.log"
    try:
        proc = _procs.spawn(argv, log, server_env(home, spec.role), home)
    except OSError as exc:  # the vLLM python is missing or not executable
        raise ServerError(f"cannot start {spec.name}: {exc}") from None
    return ServerRecord(
        name=spec.name, role=spec.role, model=spec.served_name, pid=proc.pid,
        create_time=proc.create_time(), host=host, port=port,
        log=str(log), started_at=time.time(), argv=argv,
    )  # fmt: skip


def wait_healthy(records: list[ServerRecord], timeout_s: float, progress: Progress | None) -> None:
    """Poll /health of every record until all answer; a dead process or the timeout is a ServerError."""
    start, pending = time.monotonic(), {r.name: r for r in records}
    states = {r.name: "starting" for r in records}
    while pending:
        elapsed = time.monotonic() - start
        for name, record in list(pending.items()):
            if process_of(record) is None:
                raise ServerError(f"{name} exited during startup; see {record.log}:\n{log_tail(record.log)}")
            if is_healthy(record.base_url):
                states[name] = f"healthy after {elapsed:.0f}s"
                del pending[name]
            else:
                states[name] = f"starting ({elapsed:.0f}s)"
        if progress:
            progress(dict(states))
        if pending and elapsed > timeout_s:
            name, record = next(iter(pending.items()))
            raise ServerError(f"{name} not healthy after {timeout_s:.0f}s; see {record.log}:\n{log_tail(record.log)}")
        if pending:
            time.sleep(0.5)


def _ports(specs: Sequence[ModelSpec], host: str, port: int | None) -> list[int]:
    """The generator takes ``port`` if given (refused when in use); the rest get free ports.

    Only checked when a generator is to start: a running one (ours, kept) holds ``port`` legitimately.
    """
    ports = [port if port is not None and spec.role == "generator" else _procs.free_port(host) for spec in specs]
    if port in ports and not _procs.port_is_free(host, port):
        raise ServerError(f"port {port} on {host} is already in use; pick another with --port")
    return ports


def _stop(records: Sequence[ServerRecord], grace_s: float) -> None:
    for record in records:
        proc = process_of(record)
        if proc is not None:
            _procs.kill_tree(proc, grace_s)


def _running(home: Path, specs: Sequence[ModelSpec]) -> tuple[list[ServerRecord], ...]:
    """(healthy wanted records, unhealthy wanted records, other live records); dead records are dropped."""
    keep: list[ServerRecord] = []
    broken: list[ServerRecord] = []
    others: list[ServerRecord] = []
    wanted, roles = {s.name for s in specs}, {s.role for s in specs}
    for record in load_records(home):
        if process_of(record) is None:
            continue
        if record.name in wanted:
            # patient: a live server that is busy on 2 cores must not be mistaken for a broken one and restarted
            (keep if is_healthy(record.base_url, timeout_s=REUSE_HEALTH_TIMEOUT_S) else broken).append(record)
        elif record.role in roles and record.role != "generator":  # generators of other models may coexist
            raise ServerError(f"a {record.role} ({record.name}) is already running; run `assay down` first")
        else:
            others.append(record)  # e.g. an embedder from an earlier `assay up --embedder`: left alone
    return keep, broken, others


def _start(home: Path, specs: Sequence[ModelSpec], launcher: Launcher, host: str, ports: list[int],
           keep: list[ServerRecord], timeout_s: float, progress: Progress | None) -> list[ServerRecord]:  # fmt: skip
    """Launch ``specs`` concurrently, record them at once, wait for health; on any failure stop them all."""
    started: list[ServerRecord] = []
    try:
        for spec, spec_port in zip(specs, ports, strict=True):
            started.append(_launch(home, spec, launcher(spec, host, spec_port), host, spec_port))
            save_records(home, keep + started)
        wait_healthy(started, timeout_s, progress)
    except BaseException:
        _stop(started, grace_s=5.0)
        save_records(home, keep)
        raise
    return started


def ensure_up(
    settings: Settings,
    models: Sequence[str | ModelSpec] = DEFAULT_MODELS,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout_s: float | None = None,
    report: Report = print,
    progress: Progress | None = None,
    launcher: Launcher | None = None,
) -> UpResult:
    """What ``assay up`` does: reuse healthy recorded servers, else provision and start the missing ones.

    ``models`` are registry names or specs; ``launcher`` replaces provisioning + vLLM (tests use a fake server).
    """
    began = time.monotonic()
    if settings.base_url:
        return UpResult(external=settings.base_url)
    specs = list({s.name: s for s in (m if isinstance(m, ModelSpec) else get_model(m) for m in models)}.values())
    lock = home_lock(settings.home)
    acquire(lock, 1800.0, report)
    try:
        keep, broken, others = _running(settings.home, specs)
        _stop(broken, grace_s=10.0)
        kept = {r.name for r in keep}
        missing = [s for s in specs if s.name not in kept]
        save_records(settings.home, others + keep)
        started: list[ServerRecord] = []
        if missing:
            ports = _ports(missing, host, port)  # before provisioning: a taken port fails fast
            launch = launcher or provisioned_launcher(settings.home, missing, report)
            wait = timeout_s or max(s.startup_s for s in missing)
            started = _start(settings.home, missing, launch, host, ports, others + keep, wait, progress)
        return UpResult(records=keep + started, started=started, seconds=time.monotonic() - began)
    finally:
        lock.release()


def stop_servers(settings: Settings, names: Sequence[str] | None = None, grace_s: float = 15.0) -> list[ServerRecord]:
    """Stop recorded servers (all, or ``names``) and forget them; returns the records that were running."""
    lock = home_lock(settings.home)
    acquire(lock, 600.0, lambda _msg: None)
    try:
        records = load_records(settings.home)
        chosen = [r for r in records if names is None or r.name in names]
        running = [r for r in chosen if process_of(r) is not None]
        _stop(running, grace_s)
        save_records(settings.home, [r for r in records if r not in chosen])
        return running
    finally:
        lock.release()


def server_status(settings: Settings) -> list[dict[str, Any]]:
    """One row per server: recorded local processes, or the external endpoint(s) when a URL is set."""
    if external := settings.base_url:
        return [
            {"name": "external", "model": settings.model, "base_url": url, "pid": None,
             "healthy": is_healthy(url) or _models_ok(url, settings), "rss_mb": None,
             "used_by_run": True, "why": "set by ASSAY_BASE_URL"}
            for url in normalise_base_urls(external)  # server roots: a trailing /v1 would break /health
        ]  # fmt: skip
    rows = []
    used = _used_by_run(settings)
    for record in load_records(settings.home):
        proc = process_of(record)
        rows.append(
            {"name": record.name, "role": record.role, "model": record.model, "base_url": record.base_url,
             "pid": record.pid, "healthy": proc is not None and is_healthy(record.base_url),
             "rss_mb": _procs.rss_mb(proc) if proc else None, "log": record.log, "restarts": record.restarts,
             "used_by_run": record.name in used.servers if used else False,
             "why": used.why if used and record.name in used.servers else ""}
        )  # fmt: skip
    return rows


def _used_by_run(settings: Settings) -> Endpoint | None:
    """The generator endpoint ``assay run`` would use now (None when it would fail)."""
    try:
        return resolve_endpoint(settings, "generator")
    except AssayError:
        return None


def _models_ok(url: str, settings: Settings) -> bool:
    """Non-vLLM OpenAI-compatible servers may lack /health; /v1/models answering counts as healthy."""
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return _answers(f"{url}/v1/models", {"Authorization": f"Bearer {key}"} if key else None)
