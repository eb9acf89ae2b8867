"""``assay serve`` from the command line: one-line errors before binding, loopback by default, the API key env var."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

CMD = [sys.executable, "-c", "from assay.cli.main import main; main()", "serve"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fails(*args: str) -> str:
    result = subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("assay: error:"), result.stderr
    return lines[0]


def test_unknown_default_graph_is_one_line() -> None:
    assert "unknown graph 'nope'" in _fails("--graph-default", "nope")


def test_no_model_server_is_one_line() -> None:
    line = _fails("--port", str(_free_port()))
    assert "assay up" in line or "server" in line


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        line = _fails("--port", str(port), "--base-url", "http://127.0.0.1:9/v1")
    assert "already in use" in line


def test_bad_port_and_body_limit_are_one_line() -> None:
    assert "--port" in _fails("--port", "70000", "--base-url", "http://127.0.0.1:9/v1")
    assert "--max-body" in _fails("--max-body", "10", "--base-url", "http://127.0.0.1:9/v1")


@pytest.fixture
def running() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    env = {**os.environ, "ASSAY_SERVE_API_KEY": "k1", "ASSAY_MAX_ATTEMPTS": "1"}
    proc = subprocess.Popen([*CMD, "--port", str(port), "--base-url", "http://127.0.0.1:9/v1"], env=env,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_binds_loopback_and_requires_the_env_key(running: tuple[str, subprocess.Popen[str]]) -> None:
    url, proc = running
    assert httpx.get(f"{url}/v1/models").status_code == 401
    listed = httpx.get(f"{url}/v1/models", headers={"authorization": "Bearer k1"}).json()
    assert "assay/adaptive" in [m["id"] for m in listed["data"]]
    # the generator at 127.0.0.1:9 refuses connections: a run fails as a 502, not a hang or a 500
    body = {"model": "assay/adaptive", "messages": [{"role": "user", "content": "What is 2 + 2?"}]}
    failed = httpx.post(f"{url}/v1/chat/completions", json=body, headers={"authorization": "Bearer k1"}, timeout=60)
    assert failed.status_code == 502 and failed.json()["error"]["type"] == "upstream_error"
    proc.terminate()
    proc.wait(timeout=15)
    assert "127.0.0.1" in (proc.stderr.read() if proc.stderr else "")
