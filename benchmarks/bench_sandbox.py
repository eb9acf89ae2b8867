"""Throughput of the sandbox vs a bare interpreter subprocess, in the same process and run.

    python benchmarks/bench_sandbox.py [--runs 50] [--concurrency 1]

Prints runs/s for: bare ``python -c`` (a plain subprocess, what a naive executor does; spawned and captured the
same way as the sandbox), bare
``python -I -S -c`` (the same start-up flags the sandbox uses inside), and ``run_python`` with the strongest
available isolation; then the ratios. Target: sandbox >= 0.5x bare ``python -c``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable

from assay.tools._proc import supervise
from assay.tools.sandbox import available_isolation, run_python

SNIPPET = "print(sum(range(10)))"
EXE = os.path.realpath(sys.executable)


async def _bare(*flags: str) -> None:
    """Same spawn/capture path as the sandbox (``_proc.supervise``), so the ratio is the isolation's cost."""
    done = await supervise([EXE, *flags, "-c", SNIPPET], os.getcwd(), dict(os.environ), None, 10.0, 1 << 20)
    assert done.stdout.data == b"45\n", done.stdout.data


async def _sandboxed() -> None:
    result = await run_python(SNIPPET)
    assert result.ok and result.stdout == "45\n", result


async def _batch(job: Callable[[], Awaitable[None]], runs: int, concurrency: int) -> float:
    """Seconds for ``runs`` runs with ``concurrency`` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await job()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(runs)))
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="runs per variant")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=6, help="variants alternate per round (fair under load)")
    args = parser.parse_args()
    jobs: dict[str, Callable[[], Awaitable[None]]] = {
        "bare python -c": lambda: _bare(),
        "bare python -I -S -c": lambda: _bare("-I", "-S"),
        "sandbox run_python": _sandboxed,
    }
    print(
        f"isolation: {available_isolation()}  uid: {os.geteuid()}  runs: {args.runs}  concurrency: {args.concurrency}"
    )
    for job in jobs.values():
        await job()  # warm-up (isolation probe, page cache)
    spent = dict.fromkeys(jobs, 0.0)
    per_round = max(1, args.runs // args.rounds)
    for _ in range(args.rounds):
        for name, job in jobs.items():
            spent[name] += await _batch(job, per_round, args.concurrency)
    rates = {name: per_round * args.rounds / seconds for name, seconds in spent.items()}
    for name, rate in rates.items():
        print(f"{name:<22}{rate:7.1f} runs/s")
    boxed = rates["sandbox run_python"]
    print(f"ratio sandbox / bare python -c       = {boxed / rates['bare python -c']:.2f}x (target >= 0.5x)")
    print(f"ratio sandbox / bare python -I -S -c = {boxed / rates['bare python -I -S -c']:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
