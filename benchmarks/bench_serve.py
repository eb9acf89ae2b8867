"""Benchmark: what does ``assay serve`` cost on top of running the graph in-process or calling vLLM directly?

(a) Non-streaming ``assay/single`` through the server (own process, openai SDK client) against the same graph
    in-process with ``assay.run`` (same context kind, SQLite checkpointer): paired rounds, order alternating,
    median per-round ratio. On the fake backend (no model time: only the server's overhead) and on real vLLM.
(b) Time to first token: ``assay/single`` streamed through the server against the solver's exact request (captured
    from a fake run) streamed straight to vLLM; paired rounds, order alternating.
(c) 50 concurrent streaming clients (``--waves`` times) against ``serve`` on the fake backend (``assay/adaptive``,
    an "open" task on the easy path: solve and judge): errors (target 0), p50/p95 latency, peak RSS of the
    server process; and the same load run in-process (no HTTP) for reference.

``python benchmarks/bench_serve.py [--model smollm2] [--rounds 5] [--clients 50] [--waves 4] [--skip-real]`` prints
each part and writes benchmarks/results/serve.json; the real-server parts are skipped when none answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import psutil
from openai.types.chat import ChatCompletionMessageParam

import assay
from assay.runtime import open_checkpointer
from assay.testing import FakeLLM

OUT = Path(__file__).parent / "results" / "serve.json"
QUESTION = "What is 2 + 2?"
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": QUESTION}]
MAX_TOKENS = 32


ANSWER = "Hello and welcome to the team!"


def fake_context(settings: assay.Settings) -> assay.RunContext:
    gen = FakeLLM(default="2 + 2 = 4\nAnswer: 4\nConfidence: 95%").on("new team member", texts=[ANSWER])
    judge = FakeLLM().on_classify("", p_yes=0.95)
    return assay.RunContext(settings=settings, llm=gen.client(), judge=judge.client())


def serve_fake(port: int) -> None:
    """The ``--fake-server`` mode: ``assay serve``'s app on the fake backend, in this process."""
    import uvicorn

    from assay.serve import ServeConfig, create_app

    home = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    settings = assay.Settings(home=home, checkpoint_path=home / "cp.sqlite", samples=4)
    app = create_app(ServeConfig(settings=settings, ctx=fake_context(settings)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    cmd = [sys.executable, *args, "--port", str(port)]
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {cmd} did not start")


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.terminate()
    return proc.wait(timeout=20)


async def timed(make: Any) -> float:
    start = time.perf_counter()
    await make()
    return time.perf_counter() - start


async def paired(first: Any, second: Any, rounds: int, per_round: int) -> dict[str, float]:
    """Median per-round ratio second/first, order alternating; each round is ``per_round`` sequential calls."""
    rows: list[tuple[float, float]] = []
    for r in range(rounds):
        took = {}
        for fn in (first, second) if r % 2 == 0 else (second, first):
            took[fn] = statistics.median([await timed(fn) for _ in range(per_round)])
        rows.append((took[first], took[second]))
    return {"first_ms": 1000 * statistics.median(a for a, _ in rows),
            "second_ms": 1000 * statistics.median(b for _, b in rows),
            "ratio": statistics.median(b / a for a, b in rows)}  # fmt: skip


async def part_a(ctx: assay.RunContext, url: str, rounds: int, per_round: int) -> dict[str, float]:
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=300)
    body = {"model": "assay/single", "messages": USER, "max_tokens": MAX_TOKENS}
    async with open_checkpointer(ctx.settings.checkpoints) as saver:

        async def in_process() -> None:
            await assay.run(QUESTION, graph="single", ctx=ctx, checkpointer=saver)

        async def served() -> None:
            await client.chat.completions.create(**body)  # type: ignore[call-overload]

        await in_process()  # warm both paths
        await served()
        result = await paired(in_process, served, rounds, per_round)
    await client.close()
    return {"in_process_ms": result["first_ms"], "served_ms": result["second_ms"], "ratio": result["ratio"]}


async def solver_body(settings: assay.Settings) -> dict[str, Any]:
    """The exact JSON the ``single`` graph's solver sends (captured on the fake backend)."""
    fake, tmp = FakeLLM(default="4"), Path(tempfile.mkdtemp(prefix="bench-body-"))
    ctx = assay.RunContext(
        settings=settings.model_copy(update={"checkpoint_path": tmp / "cp.sqlite"}), llm=fake.client()
    )
    await assay.run(QUESTION, graph="single", ctx=ctx)
    return dict(next(r.body for r in fake.requests if r.path == "/v1/chat/completions"))


async def first_token(stream: Any) -> float:
    start = time.perf_counter()
    got = None
    async for chunk in stream:
        delta = chunk.choices[0].delta if chunk.choices else None
        if got is None and delta is not None and (delta.content or (delta.model_extra or {}).get("reasoning_content")):
            got = time.perf_counter() - start
    return got if got is not None else float("nan")


async def part_b(settings: assay.Settings, base_url: str, model: str, url: str, rounds: int) -> dict[str, float]:
    body = await solver_body(settings)
    body.update(model=model, stream=True)
    direct = openai.AsyncOpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=300)
    served = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=300)
    via = {"model": "assay/single", "messages": USER, "max_tokens": body["max_tokens"], "stream": True}
    calls: dict[str, tuple[openai.AsyncOpenAI, dict[str, Any]]] = {"direct": (direct, body), "served": (served, via)}
    pairs = []
    for r in range(rounds + 1):  # round 0 warms both; the order alternates (vLLM's prefix cache, other load)
        took = {}
        for name in ("direct", "served") if r % 2 else ("served", "direct"):
            client, kwargs = calls[name]
            took[name] = await first_token(await client.chat.completions.create(**kwargs))
        if r:
            pairs.append((took["direct"], took["served"]))
    await asyncio.gather(direct.close(), served.close())
    return {"direct_ttft_ms": 1000 * statistics.median(a for a, _ in pairs),
            "served_ttft_ms": 1000 * statistics.median(b for _, b in pairs),
            "ratio": statistics.median(b / a for a, b in pairs)}  # fmt: skip


async def watch_rss(pid: int, peak: list[int]) -> None:
    """Keep ``peak[0]`` at the highest resident memory of process ``pid`` seen (sampled every 20 ms)."""
    proc = psutil.Process(pid)
    while True:
        peak[0] = max(peak[0], proc.memory_info().rss)
        await asyncio.sleep(0.02)


LOAD = "Say hello to the new team member."  # kind "open": the run is all graph, no sandboxed tool
OPEN: dict[str, Any] = {"extra_body": {"assay": {"kind": "open"}}}


async def one_stream(client: openai.AsyncOpenAI) -> tuple[float, str | None]:
    start = time.perf_counter()
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": LOAD}]
    try:
        stream = await client.chat.completions.create(model="assay/adaptive", messages=messages, stream=True, **OPEN)
        content = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        return time.perf_counter() - start, None if content == ANSWER else f"wrong content {content!r}"
    except Exception as exc:
        return time.perf_counter() - start, f"{type(exc).__name__}: {exc}"


async def part_c(url: str, pid: int, clients: int, waves: int) -> dict[str, Any]:
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=120)
    await one_stream(client)  # warm
    results: list[tuple[float, str | None]] = []
    before, peak = psutil.Process(pid).memory_info().rss, [0]
    watcher = asyncio.create_task(watch_rss(pid, peak))
    start = time.perf_counter()
    for _ in range(waves):
        results += await asyncio.gather(*(one_stream(client) for _ in range(clients)))
    wall = time.perf_counter() - start
    watcher.cancel()
    await client.close()
    times = sorted(t for t, _ in results)
    errors = [e for _, e in results if e]
    return {"clients": clients, "requests": len(results), "errors": len(errors), "first_error": errors[:1],
            "p50_ms": 1000 * times[len(times) // 2], "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
            "max_ms": 1000 * times[-1], "wall_s": wall, "rss_before_mb": before / 2**20,
            "rss_peak_mb": peak[0] / 2**20}  # fmt: skip


async def part_c_in_process(ctx: assay.RunContext, clients: int, waves: int) -> dict[str, Any]:
    """The same load run in-process (no HTTP, no SSE): the graph's own cost under this concurrency."""
    task = assay.Task(question=LOAD, kind="open")
    async with open_checkpointer(ctx.settings.checkpoints) as saver:

        async def one() -> float:
            start = time.perf_counter()
            await assay.run(task, graph="adaptive", ctx=ctx, checkpointer=saver, on_event=lambda e: None,
                            stream_tokens=True)  # fmt: skip
            return time.perf_counter() - start

        await one()
        times: list[float] = []
        for _ in range(waves):
            times += await asyncio.gather(*(one() for _ in range(clients)))
    times.sort()
    return {"p50_ms": 1000 * times[len(times) // 2], "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))]}


def real_endpoint(model: str) -> str | None:
    settings = assay.load_settings(model=model)
    try:
        endpoint = assay.resolve_endpoint(settings, "generator")
        if endpoint is None or httpx.get(endpoint.base_urls[0].removesuffix("/v1") + "/health", timeout=5).is_error:
            return None
    except (assay.AssayError, httpx.TransportError):
        return None
    base = endpoint.base_urls[0].rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


async def fake_parts(args: argparse.Namespace, report: dict[str, Any]) -> None:
    proc, url = start_server([__file__, "--fake-server"])
    try:
        home = Path(tempfile.mkdtemp(prefix="bench-inproc-"))
        ctx = fake_context(assay.Settings(home=home, checkpoint_path=home / "cp.sqlite", samples=4))
        report["a_fake"] = await part_a(ctx, url, args.rounds, 20)
        report["c_load_fake"] = load = await part_c(url, proc.pid, args.clients, args.waves)
        base = await part_c_in_process(ctx, args.clients, args.waves)
        report["c_in_process_fake"] = {**base, "p95_ratio": load["p95_ms"] / base["p95_ms"]}
    finally:
        stop(proc)


async def real_parts(args: argparse.Namespace, report: dict[str, Any], base_url: str) -> None:
    env = {"ASSAY_MODEL": args.model, "ASSAY_MAX_TOKENS": str(MAX_TOKENS)}
    proc, url = start_server(["-c", "from assay.cli.main import main; main()", "serve"], env)
    try:
        settings = assay.load_settings(model=args.model, max_tokens=MAX_TOKENS)
        llm, judge, embedder = assay.make_clients(settings)
        ctx = assay.RunContext(settings=settings, llm=llm, judge=judge, embedder=embedder)
        report["a_real"] = await part_a(ctx, url, args.rounds, 1)
        report["b_ttft_real"] = await part_b(settings, base_url, args.model, url, args.rounds)
        await llm.aclose()
    finally:
        stop(proc)


async def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg": os.getloadavg()[0], "max_tokens": MAX_TOKENS}
    try:  # whatever finished is written, even if a later part fails
        await fake_parts(args, report)
        base_url = None if args.skip_real else real_endpoint(args.model)
        if base_url is not None:
            report["model"] = args.model
            await real_parts(args, report, base_url)
        else:
            print("no real generator answers: parts (a-real) and (b) skipped", file=sys.stderr)
    finally:
        for name, row in report.items():
            print(f"{name:18} {json.dumps(row)}")
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fake-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--waves", type=int, default=4, help="rounds of --clients concurrent streams")
    parser.add_argument("--skip-real", action="store_true")
    ns = parser.parse_args()
    if ns.fake_server:
        serve_fake(ns.port)
    else:
        asyncio.run(main(ns))
