"""Real-server soak (a script, not collected by pytest): many concurrent graph runs against one vLLM server.

    assay up --model qwen2.5-coder-0.5b      # embedded, supervised servers (or set ASSAY_BASE_URL)
    ASSAY_MODEL=qwen2.5-coder-0.5b ASSAY_BUDGET_SECONDS=600 \\
        .venv/bin/python tests/reliability/soak.py --concurrency 32 --seconds 600 --server-pid PID

Keeps ``--concurrency`` runs in flight (math and code tasks, the adaptive graph, one shared client and SQLite
checkpointer) for ``--seconds``, waits for the runs in flight, and prints one JSON summary: runs, failures by
error, the server's health, peak RSS (its process tree, sampled each second) and the engine's preemption
count from ``/metrics``.

``--tasks toy`` (the default) cycles eight short tasks that mostly end on the easy path. ``--tasks bench``
cycles HumanEval prompts (their visible docstring examples as tests, never the hidden ones) and gsm_symbolic
word problems: these reach review and refine, whose code prompts pass one prefill chunk, the load that once
killed the engine (issue 9).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from assay.eval.gsm import GsmSymbolic
from assay.eval.humaneval import HumanEval
from assay.llm import _procs
from assay.llm._metrics import sum_metrics
from assay.llm.server import is_healthy
from assay.llm.supervise import restarts_done
from assay.runtime import default_context, new_thread_id, open_checkpointer, run
from assay.settings import load_settings
from assay.state import Task

CODE = [
    ("Write a Python function add(a, b) that returns a + b.", ["assert add(2, 3) == 5"]),
    (
        "Write a Python function is_even(n) that returns True when n is even.",
        ["assert is_even(4)", "assert not is_even(3)"],
    ),
    ("Write a Python function reverse(s) that returns the string s reversed.", ["assert reverse('abc') == 'cba'"]),
    (
        "Write a Python function count_vowels(s) returning the number of vowels in s.",
        ["assert count_vowels('banana') == 3"],
    ),
]
MATH = [(f"What is {a} * {b} + {c}?", str(a * b + c)) for a, b, c in [(12, 7, 5), (23, 4, 9), (8, 15, 3), (31, 3, 11)]]


def toy_tasks() -> list[Task]:
    pool = [Task(question=q, kind="code", tests=t) for q, t in CODE]
    return pool + [Task(question=q, kind="math", reference=r) for q, r in MATH]


def bench_tasks() -> list[Task]:
    """HumanEval and gsm_symbolic interleaved (the benchmark's own loaders, so only visible tests)."""
    cache = Path(tempfile.gettempdir())
    code = [i.task for i in HumanEval().load(limit=None, offset=0, seed=0, cache=cache)]
    math = [i.task for i in GsmSymbolic().load(limit=len(code), offset=0, seed=31, cache=cache)]
    return [task for pair in zip(code, math, strict=True) for task in pair]


def tasks(kind: str) -> itertools.cycle[Task]:
    return itertools.cycle(bench_tasks() if kind == "bench" else toy_tasks())


def preemptions(base_url: str) -> float | None:
    try:
        text = httpx.get(f"{base_url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return None
    return sum_metrics(text, ["vllm:num_preemptions_total"]).get("vllm:num_preemptions_total")


async def watch(pid: int | None, peak: list[float], stop: asyncio.Event) -> None:
    while pid and not stop.is_set():
        try:
            peak[0] = max(peak[0], _procs.rss_mb(psutil.Process(pid)))
        except psutil.Error:
            return
        await asyncio.sleep(1.0)


async def soak(concurrency: int, seconds: float, pid: int | None, path: Path, kind: str) -> dict[str, Any]:
    settings = load_settings(checkpoint_path=path)
    source, results, errors = tasks(kind), Counter[str](), Counter[str]()
    latencies: list[float] = []
    end = time.monotonic() + seconds
    peak, stop = [0.0], asyncio.Event()

    async def worker(ctx: Any, saver: Any) -> None:
        while time.monotonic() < end:
            began = time.monotonic()
            try:
                state = await run(next(source), ctx=ctx, checkpointer=saver, thread_id=new_thread_id())
                results["ok"] += 1
                results[f"stopped_by:{state.stopped_by}"] += 1
                latencies.append(time.monotonic() - began)
            except Exception as exc:  # counted and reported: the soak must see every failure
                results["failed"] += 1
                errors[f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"] += 1

    async with (
        default_context(settings, Task(question="warm up", kind="math")) as ctx,
        open_checkpointer(path) as saver,
    ):
        watcher = asyncio.create_task(watch(pid, peak, stop))
        await asyncio.gather(*(worker(ctx, saver) for _ in range(concurrency)))
        stop.set()
        await watcher
        healthy = is_healthy(ctx.llm.base_urls[0], timeout_s=10)
        preempted = preemptions(ctx.llm.base_urls[0])
        waited, usage = ctx.llm.waited_past_timeout, ctx.llm.usage
    latencies.sort()
    return {
        "tasks": kind, "concurrency": concurrency, "seconds": seconds, "runs": dict(results), "errors": dict(errors),
        "model": settings.model, "timeout_s": settings.timeout_s, "budget_seconds": settings.budget_seconds,
        "calls": usage.calls, "generated_tokens": usage.completion_tokens,
        "calls_answered_past_timeout_s": waited, "server_restarts": restarts_done(),
        "server_healthy_after": healthy, "server_peak_rss_mb": peak[0], "server_preemptions": preempted,
        "latency_s": {"p50": latencies[len(latencies) // 2] if latencies else None,
                      "max": latencies[-1] if latencies else None},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--server-pid", type=int, default=None)
    parser.add_argument("--tasks", choices=("toy", "bench"), default="toy")
    parser.add_argument("--checkpoints", type=Path, default=Path("/tmp/assay-soak.sqlite"))
    args = parser.parse_args()
    began = time.monotonic()
    summary = asyncio.run(soak(args.concurrency, args.seconds, args.server_pid, args.checkpoints, args.tasks))
    summary["wall_s"] = round(time.monotonic() - began, 1)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
