"""Stdlib-only helpers shared by the peer drivers (they run in the peers' own venvs, without assay).

A driver reads ``items.jsonl`` (written by ``export_items.py``: the id, the task kind and the exact system
and user messages assay's solver sends; never a hidden test or a gold answer), generates one answer per
item with a peer method, and writes ``answers.jsonl``. Each method's phase is bracketed by reads of the
vLLM server's ``/metrics`` so its tokens are counted at the server, the same way ``assay bench`` counts.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

COUNTERS = {
    "vllm:prompt_tokens_total": "prompt_tokens",
    "vllm:generation_tokens_total": "generation_tokens",
    "vllm:request_success_total": "requests",
}


def read_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scrape(roots: list[str]) -> dict[str, float]:
    """Counters summed over label sets and servers (same rule as assay.eval.metrics)."""
    total = dict.fromkeys(COUNTERS.values(), 0.0)
    for root in roots:
        try:
            with urllib.request.urlopen(root.rstrip("/") + "/metrics", timeout=10) as response:
                text = response.read().decode()
        except OSError:
            continue
        for line in text.splitlines():
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in COUNTERS and not line.startswith("#"):
                total[COUNTERS[name]] += float(line.rsplit(" ", 1)[1])
    return total


def run_phase(method: str, items: list[dict[str, Any]], answer: Callable[[dict[str, Any]], tuple[str, dict[str, int]]],
              roots: list[str], concurrency: int, out: Path) -> None:  # fmt: skip
    """Answer every item with ``answer`` (``concurrency`` threads); append the answers and the server delta."""

    def one(item: dict[str, Any]) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            text, usage = answer(item)
            error = None
        except Exception as exc:  # a failed item is recorded, the phase goes on
            text, usage, error = "", {}, f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return {"method": method, "id": item["id"], "text": text, "usage": usage, "error": error,
                "latency_s": time.perf_counter() - start}  # fmt: skip

    before = scrape(roots)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        rows = list(pool.map(one, items))
    after = scrape(roots)
    server = {k: after[k] - before[k] for k in after}
    with out.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
        fh.write(json.dumps({"method": method, "server": server}) + "\n")
    ok = sum(r["error"] is None for r in rows)
    print(f"{method}: {ok}/{len(rows)} answered, server {server}", flush=True)


def done_methods(out: Path) -> set[str]:
    """Methods whose phase finished (their server line was written): skipped on a rerun."""
    if not out.is_file():
        return set()
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["method"] for r in rows if "server" in r}
