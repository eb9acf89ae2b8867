"""``assay bench``: bad input is one stderr line before any server is contacted; --report renders files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assay.eval.records import CandidateRecord, Record, Results, ServerCount, save_results


def bench(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"ASSAY_HOME": str(home), "PATH": "/usr/bin:/bin", "ASSAY_BASE_URL": "http://127.0.0.1:9", "COLUMNS": "250"}
    code = "from assay.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, "bench", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mmlu"], "unknown dataset 'mmlu'"),
        (["humaneval", "--graphs", "nope"], "unknown graph 'nope'"),
        (["humaneval", "--limit", "0"], "--limit must be at least 1"),
        (["humaneval", "--concurrency", "0"], "--concurrency must be at least 1"),
        (["--report", "/nonexistent/results.json"], "does not exist"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = bench(*args, home=tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_report_merges_files_into_a_table_and_plots(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    ours, peer = Results(meta={"dataset": "humaneval"}), Results(meta={"dataset": "humaneval"})
    for i in range(4):
        cand = CandidateRecord(id="s0", correct=i < 3)
        ours.add(Record(item_id=f"HumanEval/{i}", recipe="adaptive", correct=i < 3, completion_tokens=100,
                        latency_s=1.0 + i, candidates=[cand]))  # fmt: skip
        peer.add(Record(item_id=f"HumanEval/{i}", recipe="optillm/bon", correct=i < 1, completion_tokens=400))
    ours.server["adaptive"] = ServerCount(generation_tokens=400, prompt_tokens=900)
    save_results(ours, tmp_path / "a" / "results.json")
    save_results(peer, tmp_path / "b" / "results.json")
    done = bench("--report", str(tmp_path / "a/results.json"), "--report", str(tmp_path / "b/results.json"),
                 "--out", str(tmp_path / "merged"), home=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3/4 = 75%" in done.stdout and "1/4 = 25%" in done.stdout and "optillm/bon" in done.stdout
    table = (tmp_path / "merged" / "table.md").read_text()
    assert "| adaptive | 3/4 = 75% | 30%–95% | 400 |" in table and "| 400 | 900 |" in table
    for name in ("table.md", "summary.json", "bench_humaneval_frontier.png", "bench_humaneval_flips.png"):
        assert (tmp_path / "merged" / name).stat().st_size > 0


def test_common_keeps_only_items_every_recipe_ran() -> None:
    from assay.eval.records import common

    results = Results()
    for i in range(4):
        results.add(Record(item_id=f"x/{i}", recipe="adaptive", correct=True))
    results.add(Record(item_id="x/1", recipe="optillm/re2", correct=False))
    results.add(Record(item_id="x/2", recipe="optillm/re2", correct=False, error="LLMTimeout: slow"))
    results.server["adaptive"] = ServerCount(generation_tokens=10)
    kept = common(results)
    assert sorted((r.recipe, r.item_id) for r in kept.records) == [("adaptive", "x/1"), ("optillm/re2", "x/1")]
    assert kept.server == {} and kept.meta["common_items"] == 1
