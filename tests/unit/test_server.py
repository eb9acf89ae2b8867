"""Server lifecycle with a tiny fake server (a python http.server that also forks a child): no vLLM needed."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from assay.errors import ServerError
from assay.llm import _procs
from assay.llm._launch import EXECUTE_MODEL_TIMEOUT_S, cpu_binding, server_env
from assay.llm._state import ServerRecord, load_records, save_records
from assay.llm.models import ModelSpec
from assay.llm.server import (
    ensure_up,
    server_status,
    stop_servers,
)
from assay.settings import Settings

FAKE_SERVER = """
import http.server, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("child", child.pid, flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"""


def spec(name: str, role: str = "generator") -> ModelSpec:
    return ModelSpec(name=name, role=role, served_name=name, weights=name, local_dir=Path("/nonexistent"))  # type: ignore[arg-type]


GEN, JUDGE = spec("fake-gen"), spec("fake-judge", "judge")


def fake(spec: ModelSpec, host: str, port: int) -> list[str]:
    return [sys.executable, "-c", FAKE_SERVER, host, str(port)]


def crashing(spec: ModelSpec, host: str, port: int) -> list[str]:
    return [sys.executable, "-c", "import sys; print('boom: no KV cache size'); sys.exit(3)"]


def silent(spec: ModelSpec, host: str, port: int) -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(600)"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, base_url=None, judge_url=None, embed_url=None)


def tree_of(record: ServerRecord) -> list[psutil.Process]:
    return _procs.tree(psutil.Process(record.pid))


def test_state_round_trip(tmp_path: Path) -> None:
    record = ServerRecord("a", "generator", "m", 123, 1.5, "127.0.0.1", 8000, "/x.log", 2.0, ["python"])
    save_records(tmp_path, [record])
    assert load_records(tmp_path) == [record]
    assert record.to_json()["base_url"] == "http://127.0.0.1:8000"


def test_unreadable_state_means_no_servers(tmp_path: Path) -> None:
    (tmp_path / "servers.json").write_text("{not json")
    assert load_records(tmp_path) == []


def test_up_status_down_kills_whole_tree(settings: Settings) -> None:
    result = ensure_up(settings, [GEN, JUDGE], launcher=fake, report=lambda _m: None, timeout_s=30)
    try:
        assert {r.name for r in result.started} == {"fake-gen", "fake-judge"}
        members = [p for r in result.records for p in tree_of(r)]
        assert len(members) == 4  # two servers, each with a child
        rows = server_status(settings)
        assert all(row["healthy"] and row["rss_mb"] > 0 for row in rows)
        again = ensure_up(settings, [GEN, JUDGE], launcher=fake, report=lambda _m: None)
        assert again.started == [] and len(again.records) == 2
    finally:
        stopped = stop_servers(settings, grace_s=5)
    assert len(stopped) == 2
    _, alive = psutil.wait_procs(members, timeout=5)
    assert alive == []
    assert load_records(settings.home) == []


def test_down_refuses_pid_with_other_create_time(settings: Settings) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        created = psutil.Process(bystander.pid).create_time()
        record = ServerRecord("x", "generator", "x", bystander.pid, created - 100, "127.0.0.1", 1, "/dev/null")
        save_records(settings.home, [record])
        assert stop_servers(settings) == []
        assert bystander.poll() is None  # a reused pid is never killed
        assert load_records(settings.home) == []  # the stale record is forgotten
    finally:
        bystander.kill()
        bystander.wait()


def test_down_stops_a_server_whose_start_time_drifted(settings: Settings) -> None:
    """The boot time psutil reads moves with clock corrections: the recorded command line still names it."""
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    server = subprocess.Popen(argv)
    try:
        created = psutil.Process(server.pid).create_time()
        record = ServerRecord("x", "generator", "x", server.pid, created - 2.0, "127.0.0.1", 1, "/dev/null", argv=argv)
        save_records(settings.home, [record])
        assert [r.pid for r in stop_servers(settings, grace_s=5.0)] == [server.pid]
        assert server.wait(timeout=10) is not None
    finally:
        server.kill()
        server.wait()


def test_port_taken_is_one_clear_error(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            ensure_up(settings, [GEN], port=port, launcher=fake, report=lambda _m: None)
    assert load_records(settings.home) == []


def test_crash_reports_log_tail_and_leaves_nothing(settings: Settings) -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(ServerError, match="exited during startup") as err:
        ensure_up(settings, [GEN, JUDGE], launcher=crashing, report=lambda _m: None, timeout_s=30)
    assert "boom: no KV cache size" in str(err.value)
    assert load_records(settings.home) == []
    time.sleep(0.2)
    leftovers = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert all(p.status() == psutil.STATUS_ZOMBIE for p in leftovers if p.is_running())


def test_timeout_stops_what_was_started(settings: Settings) -> None:
    with pytest.raises(ServerError, match="not healthy after 1s"):
        ensure_up(settings, [GEN], launcher=silent, report=lambda _m: None, timeout_s=1)
    assert load_records(settings.home) == []
    assert not [p for p in psutil.Process().children() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_ctrl_c_while_waiting_stops_what_was_started(settings: Settings) -> None:
    seen: list[int] = []

    def interrupt(states: dict[str, str]) -> None:
        seen.extend(r.pid for r in load_records(settings.home))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_up(settings, [GEN], launcher=silent, report=lambda _m: None, progress=interrupt)
    assert seen and load_records(settings.home) == []  # recorded while starting, forgotten after
    assert not psutil.pid_exists(seen[0]) or psutil.Process(seen[0]).status() == psutil.STATUS_ZOMBIE


def test_stale_records_are_cleaned(settings: Settings) -> None:
    dead = ServerRecord("fake-gen", "generator", "fake-gen", 2**22 + 7, 1.0, "127.0.0.1", 1, "/dev/null")
    save_records(settings.home, [dead])
    assert server_status(settings)[0]["healthy"] is False
    result = ensure_up(settings, [GEN], launcher=fake, report=lambda _m: None, timeout_s=30)
    try:
        assert [r.pid for r in load_records(settings.home)] == [result.started[0].pid]
    finally:
        stop_servers(settings, grace_s=5)


def test_other_judge_running_is_refused(settings: Settings) -> None:
    ensure_up(settings, [JUDGE], launcher=fake, report=lambda _m: None, timeout_s=30)
    try:
        with pytest.raises(ServerError, match=r"judge .* already running"):
            ensure_up(settings, [spec("other-judge", "judge")], launcher=fake, report=lambda _m: None)
    finally:
        stop_servers(settings, grace_s=5)


def test_servers_of_other_roles_are_kept(settings: Settings) -> None:
    embedder = spec("fake-embed", "embedder")
    ensure_up(settings, [embedder], launcher=fake, report=lambda _m: None, timeout_s=30)
    try:
        result = ensure_up(settings, [GEN], launcher=fake, report=lambda _m: None, timeout_s=30)
        assert [r.name for r in result.records] == ["fake-gen"]
        assert {r.name for r in load_records(settings.home)} == {"fake-embed", "fake-gen"}
    finally:
        assert len(stop_servers(settings, grace_s=5)) == 2


def test_external_endpoint_starts_nothing(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, base_url="http://127.0.0.1:9")
    result = ensure_up(settings, [GEN], launcher=fake, report=lambda _m: None)
    assert result.external == "http://127.0.0.1:9" and result.records == []
    rows = server_status(settings)
    assert rows == [
        {"name": "external", "model": "smollm2", "base_url": "http://127.0.0.1:9", "pid": None, "healthy": False,
         "rss_mb": None, "used_by_run": True, "why": "set by ASSAY_BASE_URL"}
    ]  # fmt: skip


def test_external_status_probes_the_server_root(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, base_url="http://127.0.0.1:9/v1/, http://127.0.0.1:10/v1")
    assert [row["base_url"] for row in server_status(settings)] == ["http://127.0.0.1:9", "http://127.0.0.1:10"]


def test_missing_server_program_is_one_clear_error(settings: Settings) -> None:
    def missing(spec: ModelSpec, host: str, port: int) -> list[str]:
        return [str(settings.home / "no-such-python"), "-m", "vllm"]

    with pytest.raises(ServerError, match=r"cannot start fake-gen: .*no-such-python"):
        ensure_up(settings, [GEN], launcher=missing, report=lambda _m: None)
    assert load_records(settings.home) == []


def test_port_of_our_running_generator_does_not_block_a_missing_judge(settings: Settings) -> None:
    port = _procs.free_port("127.0.0.1")
    ensure_up(settings, [GEN], port=port, launcher=fake, report=lambda _m: None, timeout_s=30)
    try:
        result = ensure_up(settings, [GEN, JUDGE], port=port, launcher=fake, report=lambda _m: None, timeout_s=30)
        assert [r.name for r in result.started] == ["fake-judge"] and result.started[0].port != port
    finally:
        assert len(stop_servers(settings, grace_s=5)) == 2


def test_embedded_servers_tolerate_a_slow_step_on_a_starved_cpu(tmp_path: Path) -> None:
    """vLLM's 300 s default killed a judge whose step ran long at load 14; ours is an hour."""
    assert int(server_env(tmp_path, "judge")["VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS"]) == EXECUTE_MODEL_TIMEOUT_S >= 1800


@pytest.mark.parametrize(
    ("cpus", "generator", "other"),
    [([0], "nobind", "nobind"), ([0, 1], "0", "1"), ([2, 3, 4, 5], "2,3,4", "5")],
)
def test_the_generator_and_the_judge_never_share_a_core(cpus: list[int], generator: str, other: str) -> None:
    assert (cpu_binding("generator", cpus), cpu_binding("judge", cpus), cpu_binding("embedder", cpus)) == (
        generator, other, other,
    )  # fmt: skip


def test_a_binding_the_user_exported_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    assert server_env(tmp_path, "generator")["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"
