"""Per-recipe summary of a results file: accuracy with a Wilson 95 % interval, tokens (client and server),
calls, latency percentiles and right/wrong flips; as a rich table, Markdown and JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel
from rich.table import Table

from assay.eval.records import Record, Results, ServerCount

Z95 = 1.959964


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (good at small n and near 0 or 1)."""
    if n == 0:
        return (0.0, 0.0)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` in [0, 100]; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class Summary(BaseModel):
    recipe: str
    n: int
    correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    gen_tokens: int  # client-counted, summed over items
    prompt_tokens: int
    server_gen_tokens: float | None = None
    server_prompt_tokens: float | None = None
    calls: int
    p50_s: float
    p95_s: float
    right_to_wrong: int
    wrong_to_right: int
    errors: int
    stopped_by: dict[str, int]

    @property
    def gen_per_item(self) -> float:
        """Client-counted generated tokens per problem: exact per run even on a shared server (the server
        counters are global)."""
        return self.gen_tokens / self.n if self.n else 0.0


def summarize_recipe(recipe: str, records: Sequence[Record], server: ServerCount | None) -> Summary:
    n, correct = len(records), sum(r.correct for r in records)
    lo, hi = wilson(correct, n)
    latencies = [r.latency_s for r in records if r.error is None]
    stops: dict[str, int] = {}
    for r in records:
        key = r.stopped_by or ("error" if r.error else "none")
        stops[key] = stops.get(key, 0) + 1
    return Summary(
        recipe=recipe, n=n, correct=correct, accuracy=correct / n if n else 0.0, ci_low=lo, ci_high=hi,
        gen_tokens=sum(r.completion_tokens for r in records), prompt_tokens=sum(r.prompt_tokens for r in records),
        server_gen_tokens=server.generation_tokens if server else None,
        server_prompt_tokens=server.prompt_tokens if server else None,
        calls=sum(r.calls for r in records), p50_s=percentile(latencies, 50), p95_s=percentile(latencies, 95),
        right_to_wrong=sum(r.flips.right_to_wrong for r in records),
        wrong_to_right=sum(r.flips.wrong_to_right for r in records),
        errors=sum(r.error is not None for r in records), stopped_by=stops,
    )  # fmt: skip


def summarize(results: Results) -> list[Summary]:
    return [
        summarize_recipe(recipe, [r for r in results.records if r.recipe == recipe], results.server.get(recipe))
        for recipe in results.recipes()
    ]


_HEADERS = ("recipe", "acc", "95% CI", "gen tok", "prompt tok", "srv gen", "srv prompt", "calls", "p50 s",
            "p95 s", "R→W", "W→R", "err")  # fmt: skip


def _row(s: Summary) -> list[str]:
    def srv(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    return [
        s.recipe, f"{s.correct}/{s.n} = {s.accuracy:.0%}", f"{s.ci_low:.0%}–{s.ci_high:.0%}", f"{s.gen_tokens:,}",
        f"{s.prompt_tokens:,}", srv(s.server_gen_tokens), srv(s.server_prompt_tokens), str(s.calls),
        f"{s.p50_s:.1f}", f"{s.p95_s:.1f}", str(s.right_to_wrong), str(s.wrong_to_right), str(s.errors),
    ]  # fmt: skip


def table(summaries: Sequence[Summary], title: str = "") -> Table:
    out = Table(title=title or None)
    for header in _HEADERS:
        out.add_column(header, justify="left" if header == "recipe" else "right")
    for s in summaries:
        out.add_row(*_row(s))
    return out


def markdown(summaries: Sequence[Summary]) -> str:
    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "---|" * len(_HEADERS)]
    lines += ["| " + " | ".join(_row(s)) + " |" for s in summaries]
    return "\n".join(lines) + "\n"
