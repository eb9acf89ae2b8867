"""Throughput of the sandbox vs a bare interpreter subprocess, in the same process and run.

    python benchmarks/bench_sandbox.py [--runs 50] [--concurrency 1]

Prints runs/s for: bare ``python -c`` (a plain subprocess, what a naive executor does), bare
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

from assay.tools.sandbox import available_isolation, run_python

SNIPPET = "print(sum(range(10)))"
EXE = os.path.realpath(sys.executable)


async def _bare(*flags: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        EXE, *flags, "-c", SNIPPET, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert out == b"45\n", out


async def _sandboxed() -> None:
    result = await run_python(SNIPPET)
    assert result.ok and result.stdout == "45\n", result


async def _rate(job: Callable[[], Awaitable[None]], runs: int, concurrency: int) -> float:
    """Runs per second with ``concurrency`` runs in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await job()

    await job()  # warm-up (isolation probe, page cache)
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(runs)))
    return runs / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    print(
        f"isolation: {available_isolation()}  uid: {os.geteuid()}  runs: {args.runs}  concurrency: {args.concurrency}"
    )
    bare = await _rate(lambda: _bare(), args.runs, args.concurrency)
    bare_is = await _rate(lambda: _bare("-I", "-S"), args.runs, args.concurrency)
    boxed = await _rate(_sandboxed, args.runs, args.concurrency)
    print(f"bare python -c        {bare:7.1f} runs/s")
    print(f"bare python -I -S -c  {bare_is:7.1f} runs/s")
    print(f"sandbox run_python    {boxed:7.1f} runs/s")
    print(f"ratio sandbox / bare python -c       = {boxed / bare:.2f}x (target >= 0.5x)")
    print(f"ratio sandbox / bare python -I -S -c = {boxed / bare_is:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
