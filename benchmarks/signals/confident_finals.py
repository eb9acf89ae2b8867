"""Offline: how often a recipe's final answer was scored confident, and how often that confident answer was wrong.

Reads recorded `assay bench` results (no model calls, no checkpoints needed). A final answer counts as
confident when the best total among the candidates that give it reaches the run's recorded
``tau_confident`` (the route thresholds; 0.8 when none was recorded): what the verdict word would call
``verified`` or ``confident``. Prints, per file and recipe: runs, right, confident, confident and wrong,
and how many pools held a right answer at all (the ceiling of any selector).

    python benchmarks/signals/confident_finals.py benchmarks/results/2026-12-0*/gsm*/results*.json

Measured on the gsm and CHAMP records of 2026-12-01/02 (adaptive, pot decisive): seeds 99, 123, 577 and
CHAMP/0-19 gave 10 confident finals, 6 of them wrong; that made programs of thought support, not
confirmation (docs/signals.md, "Programs of thought support, they do not confirm").
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from assay.signals._normalize import normalize_answer

TAU_CONFIDENT = 0.8  # Settings.tau_confident's default, for records that carry no thresholds
KINDS = {"gsm_symbolic": "math", "champ": "math", "game24": "math", "squad": "qa", "humaneval": "code"}


def kind_of(item_id: str) -> str:
    return KINDS.get(item_id.split("/", 1)[0], "qa")


def tau_of(record: dict[str, Any]) -> float:
    for route in record.get("routes", []):
        if "tau_confident" in route.get("thresholds", {}):
            return float(route["thresholds"]["tau_confident"])
    return TAU_CONFIDENT


def final_total(record: dict[str, Any]) -> float | None:
    """The best total among the candidates whose answer is the returned one (None: no scored candidate)."""
    kind = kind_of(record["item_id"])
    final = normalize_answer(record.get("answer") or "", kind)
    totals = [
        c["scores"]["total"]
        for c in record.get("candidates", [])
        if c.get("scores", {}).get("total") is not None and normalize_answer(c.get("answer") or "", kind) == final
    ]
    return max(totals) if totals and final else None


def tally(records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in records:
        row = rows[r["recipe"]]
        total = final_total(r)
        confident = total is not None and total >= tau_of(r)
        row["runs"] += 1
        row["right"] += bool(r.get("correct"))
        row["confident"] += confident
        row["confident_wrong"] += confident and not r.get("correct")
        row["right_in_pool"] += any(c.get("correct") for c in r.get("candidates", [])) or bool(r.get("correct"))
    return rows


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: confident_finals.py RESULTS.json [...]", file=sys.stderr)
        return 2
    print("| file | recipe | runs | right | confident | confident & wrong | right in pool |")
    print("|---|---|---|---|---|---|---|")
    for path in paths:
        try:
            records = json.loads(Path(path).read_text())["records"]
        except (OSError, ValueError, KeyError) as exc:
            print(f"confident_finals: {path}: not a bench results file ({exc})", file=sys.stderr)
            return 2
        for recipe, row in tally(records).items():
            cells = [row[k] for k in ("runs", "right", "confident", "confident_wrong", "right_in_pool")]
            print(f"| {path} | {recipe} | " + " | ".join(map(str, cells)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
