"""Which running generator a run uses: the model asked for, replicas of one model only (issue 9)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from assay.errors import ServerUnavailable
from assay.llm._state import ServerRecord, save_records
from assay.llm.models import ModelSpec, resolve_endpoint
from assay.llm.server import ensure_up, server_status, stop_servers
from assay.settings import Settings, load_settings

FAKE_HEALTH = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"""


def record(name: str, port: int, started_at: float, role: str = "generator") -> ServerRecord:
    me = psutil.Process(os.getpid())
    return ServerRecord(name, role, name, me.pid, me.create_time(), "127.0.0.1", port, "/dev/null", started_at)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("ASSAY_MODEL", "ASSAY_BASE_URL", "ASSAY_JUDGE_URL", "ASSAY_EMBED_URL", "ASSAY_JUDGE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ASSAY_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path))
    save_records(
        tmp_path,
        [
            record("smollm2", 8001, 100.0),
            record("smollm2-judge", 8002, 100.0, "judge"),
            record("qwen2.5-coder-0.5b", 8003, 200.0),
        ],
    )
    return tmp_path


def test_two_models_are_never_mixed_as_replicas(home: Path) -> None:
    ep = resolve_endpoint(load_settings(), "generator")  # asked for nothing: the default model, smollm2
    assert ep is not None and ep.base_urls == ["http://127.0.0.1:8001"] and ep.model == "smollm2"
    assert ep.servers == ("smollm2",) and ep.why.startswith("the default model")


def test_without_the_default_model_the_latest_started_is_used(tmp_path: Path) -> None:
    save_records(tmp_path, [record("qwen2.5-coder-0.5b", 8003, 200.0), record("other", 8005, 300.0)])
    ep = resolve_endpoint(Settings(home=tmp_path, base_url=None), "generator")
    assert ep is not None and ep.model == "other" and "most recently started" in ep.why


def test_the_model_asked_for_wins(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ep = resolve_endpoint(load_settings(model="smollm2"), "generator")
    assert ep is not None and ep.base_urls == ["http://127.0.0.1:8001"] and ep.model == "smollm2"
    monkeypatch.setenv("ASSAY_MODEL", "smollm2")
    ep = resolve_endpoint(load_settings(), "generator")
    assert ep is not None and ep.model == "smollm2" and ep.why == "asked for (smollm2)"


def test_a_model_asked_for_but_not_running_is_one_clear_error(home: Path) -> None:
    with pytest.raises(ServerUnavailable) as info:
        resolve_endpoint(load_settings(model="llama"), "generator")
    message = str(info.value)
    assert "no running generator serves model 'llama'" in message and "qwen2.5-coder-0.5b, smollm2" in message
    assert "assay up --model llama" in message and "\n" not in message


def test_replicas_of_one_model_are_round_robin(tmp_path: Path) -> None:
    save_records(tmp_path, [record("smollm2", 8001, 100.0), record("smollm2", 8004, 150.0)])
    ep = resolve_endpoint(Settings(home=tmp_path, base_url=None), "generator")
    assert ep is not None and ep.base_urls == ["http://127.0.0.1:8001", "http://127.0.0.1:8004"]
    assert ep.why == "the only one running"


def test_judge_is_resolved_independently(home: Path) -> None:
    judge = resolve_endpoint(load_settings(model="qwen2.5-coder-0.5b"), "judge")
    assert judge is not None and judge.model == "smollm2-judge" and judge.servers == ("smollm2-judge",)


def test_status_stars_the_generator_run_will_use(home: Path) -> None:
    rows = {row["name"]: row for row in server_status(load_settings())}
    assert rows["smollm2"]["used_by_run"] and not rows["qwen2.5-coder-0.5b"]["used_by_run"]
    assert not rows["smollm2-judge"]["used_by_run"]
    rows = {row["name"]: row for row in server_status(load_settings(model="qwen2.5-coder-0.5b"))}
    assert rows["qwen2.5-coder-0.5b"]["used_by_run"] and rows["qwen2.5-coder-0.5b"]["why"].startswith("asked for")


def test_status_command_says_which_generator_run_uses(home: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli.main import _register, app

    _register()
    out = CliRunner().invoke(app, ["status"]).output
    assert "assay run uses * smollm2 at http://127.0.0.1:8001 (the default model; choose another" in out


def _fake(spec: ModelSpec, host: str, port: int) -> list[str]:
    return [sys.executable, "-c", FAKE_HEALTH, host, str(port)]


def test_up_of_a_second_generator_keeps_the_first(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, base_url=None)
    first = ModelSpec(name="gen-a", role="generator", served_name="gen-a", weights="a", local_dir=tmp_path)
    second = ModelSpec(name="gen-b", role="generator", served_name="gen-b", weights="b", local_dir=tmp_path)
    ensure_up(settings, [first], launcher=_fake, report=lambda _m: None, timeout_s=30)
    try:
        ensure_up(settings, [second], launcher=_fake, report=lambda _m: None, timeout_s=30)
        ep = resolve_endpoint(settings, "generator")  # the default (smollm2) is not running: the latest
        assert ep is not None and ep.model == "gen-b" and len(ep.base_urls) == 1
        ep = resolve_endpoint(Settings(home=tmp_path, base_url=None, model="gen-a"), "generator")
        assert ep is not None and ep.model == "gen-a" and len(ep.base_urls) == 1
    finally:
        assert len(stop_servers(settings, grace_s=5)) == 2


def test_run_with_a_model_not_running_is_one_line(home: Path) -> None:
    import subprocess

    env = {**os.environ, "ASSAY_HOME": str(home), "ASSAY_CHECKPOINT_PATH": str(home / "c.sqlite")}
    cmd = [sys.executable, "-c", "from assay.cli.main import main; main()", "run", "What is 2+2?", "--model", "llama"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "no running generator serves model 'llama'" in done.stderr
