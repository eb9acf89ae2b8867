"""Load on the fake backend: 200 concurrent graph runs share one client and one SQLite checkpointer."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import psutil

from assay.context import RunContext
from assay.runtime import open_checkpointer, run
from assay.settings import Settings
from assay.state import Task
from assay.testing import FakeLLM

RUNS = 200
SOLVED = "Paris is the capital of France.\nAnswer: Paris\nConfidence: 95%"


async def sample_rss(peak: list[float], stop: asyncio.Event) -> None:
    me = psutil.Process(os.getpid())
    while not stop.is_set():
        peak[0] = max(peak[0], me.memory_info().rss / 1e6)
        await asyncio.sleep(0.05)


async def test_200_concurrent_runs_finish_without_errors_in_bounded_memory(tmp_path: Path) -> None:
    fake = FakeLLM(default=SOLVED)
    judge = FakeLLM().on_classify("Paris", p_yes=0.95)
    settings = Settings(samples=4, checkpoint_path=tmp_path / "cp.sqlite", home=tmp_path, base_url=None)
    before = psutil.Process(os.getpid()).memory_info().rss / 1e6
    peak, stop = [before], asyncio.Event()
    watcher = asyncio.create_task(sample_rss(peak, stop))
    latencies: list[float] = []

    async def one(i: int, ctx: RunContext, saver: object) -> str | None:
        began = time.monotonic()
        task = Task(question=f"Which city is the capital of France? (variant {i})", kind="open")
        state = await run(task, ctx=ctx, checkpointer=saver, thread_id=f"load-{i}")  # type: ignore[arg-type]
        latencies.append(time.monotonic() - began)
        return state.answer

    began = time.monotonic()
    async with fake.client() as llm, judge.client() as jc, open_checkpointer(settings.checkpoints) as saver:
        ctx = RunContext(settings=settings, llm=llm, judge=jc)
        answers = await asyncio.gather(*(one(i, ctx, saver) for i in range(RUNS)), return_exceptions=True)
    wall = time.monotonic() - began
    stop.set()
    await watcher
    errors = [a for a in answers if isinstance(a, BaseException)]
    assert errors == [] and all(answers), errors[:3]
    growth = peak[0] - before
    median = statistics.median(latencies)
    print(f"\n{RUNS} runs in {wall:.1f}s, peak RSS {peak[0]:.0f} MB (+{growth:.0f} MB), "
          f"latency p50 {median:.2f}s max {max(latencies):.2f}s")  # fmt: skip
    assert growth < 400, f"RSS grew by {growth:.0f} MB for {RUNS} runs"
    assert max(latencies) < 3 * median + 2.0  # fair progress: no run starves behind the others
