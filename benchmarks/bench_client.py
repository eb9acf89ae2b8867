"""Benchmark: what does LLMClient cost on top of raw httpx?

(a) Per-request overhead of LLMClient.chat against two raw ``httpx.AsyncClient`` baselines posting the identical
    JSON and parsing it: "raw" is the idiomatic ``post(url_string, json=body)`` + ``response.json()`` (the target's
    baseline); "tuned" does what LLMClient does on the wire (a pre-parsed ``httpx.URL``, pydantic-core JSON both
    ways), so ``vs tuned`` is the true cost of LLMClient's own layer (typed results, retries, accounting, limits).
    At concurrency 1 and 32, many short runs, the order rotating; the median of per-round ratios is reported.
    First through an in-process stub transport (pure client CPU cost), then against a canned local
    OpenAI-compatible server (uvicorn, own process). Wall and this process's CPU time are both reported.
    Target: <= 1.1 vs raw.
(b) Aggregate generated tokens/s against a real vLLM server at 1, 8 and 32 in-flight requests (128-token
    completions, temperature 0.8, ``ignore_eos``), LLMClient vs raw httpx under the same load, ``--rounds`` rounds
    of one batch each, the order alternating; the median per-round ratio is reported (single batches vary by
    about 5 % on this machine). Target: ratio >= 0.95.

    python benchmarks/bench_client.py [--base-url URL --model M] [--skip-real] [--requests 500] [--repeats 21]

Prints a table and writes benchmarks/results/client.json. Part (b) is skipped (exit 0) when no server answers.
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
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic_core import from_json, to_json

from assay.errors import AssayError
from assay.llm.client import LLMClient

RESULTS = Path(__file__).parent / "results" / "client.json"
MESSAGES = [{"role": "user", "content": "Say hello."}]
CANNED = {
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, friend."},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
}  # fmt: skip
Work = Callable[[], Awaitable[int]]


# -- the canned server (runs in its own process so it does not share the client's GIL) -------------------------


async def _canned_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: every POST gets the same chat completion, ``/health`` gets 200."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = b"" if scope["path"] == "/health" else _CANNED_BYTES
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


_CANNED_BYTES = json.dumps(CANNED).encode()


def _serve(port: int) -> None:
    import uvicorn

    uvicorn.run(_canned_app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-canned", str(port)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the canned benchmark server did not start")


# -- load generation --------------------------------------------------------------------------------------------


async def _drive(work: Work, total: int, concurrency: int) -> tuple[float, float, int]:
    """Run ``total`` calls of ``work`` on ``concurrency`` workers.

    Returns (wall seconds, this process's CPU seconds, sum of what the calls returned). CPU time is the robust
    overhead measure on a shared machine: the server runs in another process and other load does not count.
    """
    per_worker = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    async def worker(count: int) -> int:
        return sum([await work() for _ in range(count)])

    start, cpu = time.perf_counter(), time.process_time()
    counts = await asyncio.gather(*(worker(c) for c in per_worker))
    return time.perf_counter() - start, time.process_time() - cpu, sum(counts)


def _raw_work(http: httpx.AsyncClient, url: str, body: dict[str, Any], chat: bool) -> Work:
    """The baseline: post the same JSON, check the status, parse the JSON, read the text and usage."""

    async def call() -> int:
        response = await http.post(url, json=body)
        response.raise_for_status()
        data = response.json()
        choice = data["choices"][0]
        _ = choice["message"]["content"] if chat else choice["text"]
        return int(data["usage"]["completion_tokens"])

    return call


def _tuned_work(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Work:
    """A hand-tuned baseline: what LLMClient does on the wire (pre-parsed URL, pydantic-core JSON both ways)."""
    parsed = httpx.URL(url)

    async def call() -> int:
        response = await http.post(parsed, content=to_json(body))
        response.raise_for_status()
        data = from_json(response.content)
        _ = data["choices"][0]["message"]["content"]
        return int(data["usage"]["completion_tokens"])

    return call


def _client_work(llm: LLMClient, *, chat: bool, prompt: str = "", **opts: Any) -> Work:
    """The same call through LLMClient (which also parses usage, logprobs and choices into typed models)."""

    async def call() -> int:
        out = await (llm.chat(MESSAGES, **opts) if chat else llm.complete(prompt, **opts))
        return out.usage.completion_tokens

    return call


def _raw_client(
    concurrency: int, transport: httpx.AsyncBaseTransport | None = None, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(600.0, connect=5.0)
    return httpx.AsyncClient(limits=limits, timeout=timeout, transport=transport, headers=headers)


class _StubTransport(httpx.AsyncBaseTransport):
    """Answers in-process with the canned reply: isolates client-side CPU cost from sockets and the server."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_CANNED_BYTES, headers={"content-type": "application/json"})


async def overhead(url: str, total: int, repeats: int, stub: bool = False) -> list[dict[str, Any]]:
    """Part (a): µs per request of idiomatic raw httpx, hand-tuned raw httpx and LLMClient, runs interleaved."""
    rows = []
    body = {"model": "bench", "max_tokens": 16, "temperature": 0.0, "messages": MESSAGES}
    endpoint = url + "/v1/chat/completions"
    for concurrency in (1, 32):
        transport = _StubTransport() if stub else None
        llm = LLMClient(url + "/v1", model="bench", max_concurrency=concurrency, timeout_s=600.0, transport=transport)
        tuned_http = _raw_client(concurrency, transport, headers={"Content-Type": "application/json"})
        async with llm, _raw_client(concurrency, transport) as http, tuned_http:
            works = {
                "raw": _raw_work(http, endpoint, body, chat=True),
                "tuned": _tuned_work(tuned_http, endpoint, body),
                "client": _client_work(llm, chat=True, max_tokens=16),
            }
            runs = await _interleaved(works, total, concurrency, repeats)
        rows.append({"transport": "in-process" if stub else "tcp", **_overhead_row(concurrency, total, runs)})
    return rows


Run = tuple[float, float, int]  # wall seconds, this process's CPU seconds, sum of what the calls returned


async def _interleaved(
    works: dict[str, Work], total: int, concurrency: int, repeats: int, *, warm: int = 200
) -> dict[str, list[Run]]:
    """Warm every pool, then ``repeats`` rounds running each work once, the order rotating every round.

    A round runs every work back to back, so its members share the machine's state of the moment: the median
    of per-round ratios is far steadier on a shared machine than a ratio of two medians.
    """
    for work in works.values():
        if warm:
            await _drive(work, warm, concurrency)
    names = list(works)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for i in range(repeats):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            runs[name].append(await _drive(works[name], total, concurrency))
    return runs


def _paired_median(ours: list[float], other: list[float]) -> float:
    """Median over rounds of ours / other (both lists hold one value per round)."""
    return statistics.median(a / b for a, b in zip(ours, other, strict=True))


def _overhead_row(concurrency: int, total: int, runs: dict[str, list[Run]]) -> dict[str, Any]:
    """Medians of wall and CPU µs per request for every client, and LLMClient's median per-round ratios."""
    row: dict[str, Any] = {"concurrency": concurrency, "requests": total, "repeats": len(runs["raw"])}
    wall = {name: [seconds / total * 1e6 for seconds, _, _ in samples] for name, samples in runs.items()}
    cpu = {name: [seconds / total * 1e6 for _, seconds, _ in samples] for name, samples in runs.items()}
    for name in runs:
        row[f"{name}_us"] = statistics.median(wall[name])
        row[f"{name}_cpu_us"] = statistics.median(cpu[name])
        row[f"{name}_runs_us"] = [round(us, 1) for us in wall[name]]
    for base, suffix in (("raw", ""), ("tuned", "_tuned")):
        row[f"ratio{suffix}"] = _paired_median(wall["client"], wall[base])
        row[f"cpu_ratio{suffix}"] = _paired_median(cpu["client"], cpu[base])
    return row


# -- part (b): the real server ----------------------------------------------------------------------------------


def _endpoint(args: argparse.Namespace) -> tuple[str, str] | None:
    """--base-url/--model, else ASSAY_BASE_URL, else the servers `assay up` recorded; None if nothing answers."""
    if args.base_url:
        base, model = args.base_url.split(",")[0], args.model or os.environ.get("ASSAY_MODEL", "smollm2")
    else:
        try:
            from assay.llm.models import resolve_endpoint
            from assay.settings import load_settings

            found = resolve_endpoint(load_settings(), "generator")
        except (AssayError, ImportError) as exc:
            print(f"part (b) skipped: {exc}")
            return None
        if found is None:
            return None
        base, model = found.base_urls[0], args.model or found.model
    base = base.rstrip("/").removesuffix("/v1")
    try:
        httpx.get(base + "/health", timeout=3.0).raise_for_status()
    except httpx.HTTPError as exc:
        print(f"part (b) skipped: no healthy server at {base} ({type(exc).__name__})")
        return None
    return base, model


async def throughput(base: str, model: str, levels: list[int], rounds: int) -> list[dict[str, Any]]:
    """Part (b): tokens/s at each in-flight level; each round sends one batch of ``level`` requests per client."""
    rows = []
    prompt = "Write a long story about a lighthouse keeper and the sea."
    opts: dict[str, Any] = {"max_tokens": 128, "temperature": 0.8, "extra": {"ignore_eos": True}}
    body = {"model": model, "max_tokens": 128, "temperature": 0.8, "ignore_eos": True, "prompt": prompt}
    for level in levels:
        llm = LLMClient(base, model=model, max_concurrency=level, timeout_s=600.0)
        async with llm, _raw_client(level) as http:
            works = {
                "raw": _raw_work(http, base + "/v1/completions", body, chat=False),
                "client": _client_work(llm, chat=False, prompt=prompt, **opts),
            }
            runs = await _interleaved(works, level, level, rounds, warm=0)
        rows.append(_throughput_row(level, runs))
    return rows


def _throughput_row(level: int, runs: dict[str, list[Run]]) -> dict[str, Any]:
    """Tokens/s per client over all its runs, the median per-round ratio, and the runs for the record."""
    row: dict[str, Any] = {"in_flight": level}
    rates = {name: [tokens / seconds for seconds, _, tokens in samples] for name, samples in runs.items()}
    for name, samples in runs.items():
        row[f"{name}_tok_s"] = sum(t for _, _, t in samples) / sum(s for s, _, _ in samples)
        row[f"{name}_runs"] = [{"tokens": t, "seconds": round(s, 2)} for s, _, t in samples]
    row["ratio"] = _paired_median(rates["client"], rates["raw"])
    return row


def _run_overhead(total: int, repeats: int) -> list[dict[str, Any]]:
    stub = asyncio.run(overhead("http://stub", total, repeats, stub=True))
    proc, url = _start_server()
    try:
        return stub + asyncio.run(overhead(url, total, repeats))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _table(title: str, columns: list[tuple[str, str, str]], rows: list[dict[str, Any]]) -> None:
    """Print ``rows`` as a right-aligned table; ``columns`` are (header, row key, format spec)."""
    widths = [max(len(head), 8) for head, _, _ in columns]
    print(f"\n{title}")
    print("  ".join(f"{head:>{w}}" for (head, _, _), w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(f"{row[key]:>{w}{spec}}" for (_, key, spec), w in zip(columns, widths, strict=True)))


def _print_tables(part_a: list[dict[str, Any]], part_b: list[dict[str, Any]] | None) -> None:
    if part_a:
        _table(
            "(a) µs per request, medians (wall and client-process CPU): in-process stub, then local TCP server",
            [("transport", "transport", ""), ("concurrency", "concurrency", ""), ("raw µs", "raw_us", ".1f"),
             ("tuned µs", "tuned_us", ".1f"), ("client µs", "client_us", ".1f"), ("vs raw", "ratio", ".3f"),
             ("vs tuned", "ratio_tuned", ".3f"), ("cpu vs raw", "cpu_ratio", ".3f"),
             ("cpu vs tuned", "cpu_ratio_tuned", ".3f")],
            part_a,
        )  # fmt: skip
    if part_b:
        _table(
            "(b) aggregate generated tokens/s, real server",
            [("in flight", "in_flight", ""), ("raw tok/s", "raw_tok_s", ".1f"),
             ("LLMClient", "client_tok_s", ".1f"), ("ratio", "ratio", ".3f")],
            part_b,
        )  # fmt: skip


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base-url", help="real OpenAI-compatible server for part (b)")
    parser.add_argument("--model", help="model name on that server")
    parser.add_argument("--skip-real", action="store_true", help="only part (a)")
    parser.add_argument("--skip-overhead", action="store_true", help="only part (b)")
    parser.add_argument("--requests", type=int, default=500, help="requests per run in part (a)")
    parser.add_argument("--repeats", type=int, default=21, help="interleaved runs per client in part (a)")
    parser.add_argument("--levels", default="1,8,32", help="in-flight levels for part (b)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (one batch per client) per level in (b)")
    parser.add_argument("--serve-canned", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = _parse_args()
    if args.serve_canned:
        return _serve(args.serve_canned)
    part_a = [] if args.skip_overhead else _run_overhead(args.requests, args.repeats)
    part_b = None
    endpoint = None if args.skip_real else _endpoint(args)
    if endpoint:
        levels = [int(x) for x in args.levels.split(",")]
        part_b = asyncio.run(throughput(*endpoint, levels, args.rounds))
    _print_tables(part_a, part_b)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "overhead": part_a,
        "throughput": part_b,
        "endpoint": endpoint,
        "when": time.strftime("%FT%TZ", time.gmtime()),
        "loadavg_at_end": os.getloadavg(),  # the machine may be shared: high load means noisy wall times
    }
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nwritten: {RESULTS}")


if __name__ == "__main__":
    main()
