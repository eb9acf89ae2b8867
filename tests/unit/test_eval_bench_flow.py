"""The ``assay bench`` flow on FakeLLM: --calibrate fits on a held-in split, writes the TOML and evaluates a
disjoint split with the fitted settings; a second call without --resume refuses to overwrite."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from test_eval_harness import Arithmetic, fake_server

from assay.context import RunContext
from assay.errors import InputError
from assay.eval import bench as bench_mod
from assay.eval.bench import BenchOptions, bench, report
from assay.settings import Settings


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Settings]:
    """The flow with the Arithmetic set and a FakeLLM context; records the settings each split ran with."""
    used: list[Settings] = []

    @asynccontextmanager
    async def context(settings: Settings, dataset: Any) -> AsyncIterator[RunContext]:
        used.append(settings)
        async with fake_server().client() as llm:
            yield RunContext(settings=settings, llm=llm)

    monkeypatch.setattr(bench_mod, "get_dataset", lambda name, settings: Arithmetic())
    monkeypatch.setattr(bench_mod, "bench_context", context)
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "home"))
    return used


async def test_calibrate_fits_on_held_in_items_and_reports_a_disjoint_split(offline: list[Settings],
                                                                           tmp_path: Path) -> None:  # fmt: skip
    opts = BenchOptions(dataset="arith", graphs=["test-one-call"], limit=4, offset=0, out=tmp_path / "out",
                        calibrate=True, calib_limit=6)  # fmt: skip
    results, out = await bench(opts, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    held = (out / "calibration" / "results.json").read_text()
    assert "arith/4" in held and "arith/9" in held and "arith/0" not in held  # after the eval split
    assert sorted(r.item_id for r in results.records) == [f"arith/{i}" for i in range(4)]
    fitted = tomllib.loads((out / "calibrated.toml").read_text())
    assert fitted["tau_confident"] == 0.9  # the Youden cut on total: right answers score 0.9, wrong ones 0.1
    assert offline[1].tau_confident == 0.9 and offline[0].tau_confident != 0.9  # eval split used the fit
    summaries = report(results, out, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    assert summaries[0].n == 4 and (out / "bench_arith_frontier.png").is_file()


async def test_overlapping_calibration_split_is_refused(offline: list[Settings], tmp_path: Path) -> None:
    opts = BenchOptions(dataset="arith", graphs=["test-one-call"], limit=4, out=tmp_path / "o", calibrate=True,
                        calib_offset=2)  # fmt: skip
    with pytest.raises(InputError, match="shares 2 items"):
        await bench(opts, Console(file=open("/dev/null", "w")))  # noqa: SIM115


async def test_existing_results_need_resume(offline: list[Settings], tmp_path: Path) -> None:
    opts = BenchOptions(dataset="arith", graphs=["test-one-call"], limit=2, out=tmp_path / "o")
    await bench(opts, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    with pytest.raises(InputError, match="pass --resume"):
        await bench(opts, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    opts.resume = True
    results, _ = await bench(opts, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    assert len(results.records) == 2 and len(results.meta["resumed"]) == 1
