"""`assay status` and a second `assay up` against the real servers (the session fixture brought them up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from assay.settings import Settings

pytestmark = pytest.mark.integration


def assay(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from assay.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_status_json_lists_healthy_servers(live_settings: Settings) -> None:
    done = assay("status", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(row["healthy"] for row in rows)
    if live_settings.base_url:
        assert all(row["pid"] is None for row in rows)
    else:
        assert {"smollm2", "smollm2-judge"} <= {row["name"] for row in rows}
        assert all(row["pid"] > 0 and row["rss_mb"] > 100 for row in rows)


def test_second_up_is_fast_and_starts_nothing(live_settings: Settings) -> None:
    began = time.monotonic()
    done = assay("up")
    elapsed = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    if live_settings.base_url:
        assert "nothing started" in done.stdout
    else:
        assert "already running" in done.stdout and "started at" not in done.stdout
    assert elapsed < 20


def test_status_of_unreachable_external_endpoint() -> None:
    done = assay("status", "--json", "--base-url", "http://127.0.0.1:9")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"name": "external", "model": "smollm2", "base_url": "http://127.0.0.1:9", "pid": None, "healthy": False,
         "rss_mb": None, "used_by_run": True, "why": "set by ASSAY_BASE_URL"}
    ]  # fmt: skip


def test_run_json_end_to_end_then_resume_the_finished_thread(live_settings: Settings) -> None:
    """`assay run --json` on the real servers prints one JSON object; the same --thread returns it again."""
    thread = f"cli-{time.time_ns()}"
    argv = [sys.executable, "-c", "from assay.cli.main import main; main()", "run", "What is 2 + 3?"]
    argv += ["--kind", "math", "--json", "--budget-calls", "12", "--reference", "5", "--thread", thread]
    env = os.environ | {"ASSAY_SAMPLES": "2", "ASSAY_MAX_TOKENS": "96", "ASSAY_MAX_ROUNDS": "1"}
    first = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert {"answer", "stopped_by", "routes", "candidates", "evidence", "usage", "elapsed_s", "flips"} <= set(out)
    assert out["stopped_by"] and out["routes"] and out["candidates"] and out["thread_id"] == thread
    assert out["usage"]["calls"] > 0 and out["usage"]["completion_tokens"] > 0
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 0, again.stderr
    resumed = json.loads(again.stdout)
    assert (resumed["answer"], resumed["usage"]) == (out["answer"], out["usage"])  # nothing re-ran
