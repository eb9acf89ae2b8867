"""vLLM's Prometheus ``/metrics``: counters summed over label sets, and whether the engine is making progress.

A wedged server answers ``/health`` (the API process is up) but its engine does no work: requests sit in
flight and no token is counted. ``engine_stalled`` tells that apart from a merely busy server by watching the
token counters over a window: a busy engine counts tokens every step, a wedged one never does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import httpx

PROGRESS = ("vllm:prompt_tokens_total", "vllm:generation_tokens_total")
IN_FLIGHT = ("vllm:num_requests_running", "vllm:num_requests_waiting")


def sum_metrics(text: str, names: Iterable[str]) -> dict[str, float]:
    """Each metric in ``names`` summed over all its label sets (0 when absent)."""
    found = dict.fromkeys(names, 0.0)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name not in found:
            continue
        try:
            found[name] += float(line.rsplit(" ", 1)[1])
        except (IndexError, ValueError):
            continue
    return found


def _counts(response: httpx.Response) -> tuple[float, float] | None:
    """(requests in flight, tokens counted so far) from a /metrics reply, or None when it is not one."""
    if response.status_code != 200:
        return None
    values = sum_metrics(response.text, PROGRESS + IN_FLIGHT)
    return sum(values[n] for n in IN_FLIGHT), sum(values[n] for n in PROGRESS)


def _read(base_url: str, timeout_s: float) -> tuple[float, float] | None:
    """(requests in flight, tokens counted so far), or None when the server has no readable /metrics."""
    try:
        return _counts(httpx.get(f"{base_url}/metrics", timeout=timeout_s))
    except httpx.HTTPError:
        return None


def engine_stalled(base_url: str, window_s: float, timeout_s: float = 5.0) -> float | None:
    """The requests in flight when the engine counted no token for ``window_s`` seconds with requests in
    flight the whole time; None when it progressed, was idle, or has no /metrics to tell."""
    first = _read(base_url, timeout_s)
    if first is None or first[0] <= 0:
        return None
    time.sleep(window_s)
    second = _read(base_url, timeout_s)
    if second is None or second[0] <= 0 or second[1] != first[1]:
        return None
    return second[0]


async def tokens_counted(http: httpx.AsyncClient, roots: Iterable[str], timeout_s: float = 5.0) -> float | None:
    """Tokens the servers at ``roots`` have counted so far (prompt and generated, summed), or None when one of
    them has no readable ``/metrics``. Async: it runs beside the calls it watches (``assay.llm._patience``)."""
    total = 0.0
    for root in roots:
        try:
            counts = _counts(await http.get(f"{root}/metrics", timeout=timeout_s))
        except httpx.HTTPError:
            return None
        if counts is None:
            return None
        total += counts[1]
    return total
