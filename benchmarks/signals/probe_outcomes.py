"""Offline check of adaptive's first decision: what widening after each kind of greedy verdict bought.

Reads recorded `assay bench` results (no model calls); `single`'s records may be in any of the files given.
Groups the adaptive runs by the probe's verdict on the greedy answer (confirmed, refuted, contested, unconfirmed, ...)
and prints, per group: runs, how many greedy got right, how many adaptive got right, and both recipes'
generated tokens. A group where adaptive rarely beats greedy yet spends many times its tokens is one where
widening is not worth its cost.

    python benchmarks/signals/probe_outcomes.py benchmarks/results/2026-12-01/humaneval-1*/results.json

Measured 2026-12-01 on HumanEval/120-139 and 140-159 (qwen2.5-coder-0.5b, before `kit.untested_code`):
greedy answers refuted by a decisive tool, 20 runs: greedy 0, adaptive 7 right; greedy answers that loaded
with no decisive test and were contested by model-written tests or unconfirmed, 14 runs: greedy 7, adaptive
8 right, at 6.9x greedy's tokens on those runs. On the fresh HumanEval/40-79 (2026-12-02), with widening
(`results-widen-untested.json`): 7 such runs, greedy 3, adaptive 4 right, at 8.7x greedy's tokens.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

FIELDS = ("runs", "greedy_right", "adaptive_right", "adaptive_tokens", "greedy_tokens")


def verdict_of(record: dict[str, Any]) -> str:
    """The probe's reason up to its colon, without 'greedy answer' ('refuted by a tool', ...)."""
    probe = [r for r in record["routes"] if r["source"] == "probe"]
    reason = str(probe[0]["reason"]) if probe else "no probe"
    return reason.split(":")[0].removeprefix("greedy answer ").strip()


def outcomes(records: list[dict[str, Any]], greedy: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per probe verdict, the adaptive runs (any recipe named ``adaptive...``) against ``greedy``'s records."""
    groups: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for run in (r for r in records if r["recipe"].startswith("adaptive") and r["item_id"] in greedy):
        base, row = greedy[run["item_id"]], groups[verdict_of(run)]
        row["runs"] += 1
        row["greedy_right"] += bool(base["correct"])
        row["adaptive_right"] += bool(run["correct"])
        row["adaptive_tokens"] += int(run["completion_tokens"])
        row["greedy_tokens"] += int(base["completion_tokens"])
    return dict(groups)


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: probe_outcomes.py results.json [results.json ...]", file=sys.stderr)
        return 2
    try:
        files = {path: json.loads(Path(path).read_text())["records"] for path in paths}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"probe_outcomes.py: cannot read the results ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    greedy = {r["item_id"]: r for records in files.values() for r in records if r["recipe"] == "single"}
    for path, records in files.items():
        print(path)
        for verdict, row in sorted(outcomes(records, greedy).items(), key=lambda kv: -kv[1]["runs"]):
            ratio = row["adaptive_tokens"] / max(row["greedy_tokens"], 1)
            print(f"  {verdict:<42} runs {row['runs']:>3}  right: greedy {row['greedy_right']:>3}, adaptive "
                  f"{row['adaptive_right']:>3}  tokens {row['adaptive_tokens']:>6} vs {row['greedy_tokens']:>6} "
                  f"({ratio:.1f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
