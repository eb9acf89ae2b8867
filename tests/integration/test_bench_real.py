"""CI smoke bench on the real server: two gsm_symbolic items, two recipes, through the `assay bench` CLI.

Checks that the harness runs end to end (results.json, server /metrics counts, table, plots) and that
``--resume`` skips finished pairs. SmolLM2-135M is plumbing only: its accuracy is not asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assay.settings import Settings

pytestmark = pytest.mark.integration


def bench(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSAY_MAX_TOKENS": "128", "ASSAY_SAMPLES": "2", "COLUMNS": "200"}
    model = [] if os.environ.get("ASSAY_BASE_URL") else ["--model", "smollm2"]
    args = ["gsm_symbolic", "--graphs", "single,self-consistency", "--limit", "2", "--seed", "1", "-c", "4"]
    code = "from assay.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, "bench", *args, *model, "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=600, check=False)  # fmt: skip


def test_smoke_bench_writes_results_and_resumes(live_settings: Settings, tmp_path: Path) -> None:
    pytest.importorskip("reasoning_gym")
    out = tmp_path / "bench"
    done = bench(out)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    records = results["records"]
    assert sorted((r["recipe"], r["item_id"]) for r in records) == [
        (recipe, f"gsm_symbolic/1/{i}") for recipe in ("self-consistency", "single") for i in (0, 1)
    ]
    assert all(r["error"] is None and r["calls"] >= 1 and r["completion_tokens"] > 0 for r in records)
    assert all(r["candidates"] for r in records)
    for recipe in ("single", "self-consistency"):
        client_gen = sum(r["completion_tokens"] for r in records if r["recipe"] == recipe)
        assert results["server"][recipe]["generation_tokens"] >= client_gen  # the server counts all traffic
    assert "single" in done.stderr and (out / "bench_gsm_symbolic_frontier.png").stat().st_size > 0
    again = bench(out, "--resume")
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((out / "results.json").read_text())["records"] == records  # nothing re-run
