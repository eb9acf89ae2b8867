"""What stopping on early agreement would save on math, from recorded pools (no model calls).

``adaptive`` answers a math problem with one greedy reply, and unless a decisive tool confirms it, samples
``samples - 1`` more in one ``n>1`` request. A sequential rule in the manner of Adaptive-Consistency (Aggarwal
et al., 2023) and of D1's "fewer samples on easy problems" would instead draw ONE sample first and stop when
it agrees with the greedy answer, drawing the rest only on disagreement. The samples of a recorded pool are
independent draws, so the first of them is exactly what that one sample would have been: this script replays
the rule on ``assay bench`` results and prints, per results file, how often it would stop, how often the
stopped answer is right, the accuracy with the rule against the recorded accuracy, and the share of sampled
replies it saves. Usage::

    python benchmarks/agreement_probe.py benchmarks/results/2026-12-03/gsm-1729-0-19/results-adaptive.json [more]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.signals.confidence import answer_key
from assay.state import Candidate

GREEDY = "r0-solver-0"


@dataclass
class Replay:
    items: int = 0
    stops: int = 0
    stopped_right: int = 0
    recorded_right: int = 0
    replayed_right: int = 0
    replies: int = 0  # round-0 solver replies the recorded runs drew
    replies_saved: int = 0


def _key(cand: dict[str, Any]) -> str | None:
    """The voting key adaptive itself uses for a math answer."""
    return answer_key(Candidate.model_validate(cand), "math")


def replay(records: list[dict[str, Any]], recipe: str) -> Replay:
    out = Replay()
    for record in records:
        round0 = {c["id"]: c for c in record["candidates"] if c["origin"] == "solver" and c["round"] == 0}
        greedy, first = round0.get(GREEDY), round0.get("r0-solver-1")
        if record["recipe"] != recipe or greedy is None or first is None:
            continue
        out.items += 1
        out.replies += len(round0)
        out.recorded_right += bool(record["correct"])
        if _key(greedy) is not None and _key(greedy) == _key(first):
            out.stops += 1
            out.stopped_right += bool(greedy["correct"])
            out.replayed_right += bool(greedy["correct"])
            out.replies_saved += len(round0) - 2
        else:
            out.replayed_right += bool(record["correct"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--recipe", default="adaptive")
    args = parser.parse_args()
    total = Replay()
    print(f"{'results':58} {'items':>5} {'stops':>5} {'stop right':>10} {'acc rec→rule':>12} {'replies saved':>13}")
    for path in args.results:
        data = json.loads(path.read_text())
        one = replay(data["records"], args.recipe)
        if not one.items:
            continue
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(one, name))
        _row(str(path.parent.name + "/" + path.name), one)
    _row("all", total)


def _row(name: str, r: Replay) -> None:
    saved = f"{r.replies_saved}/{r.replies} ({r.replies_saved / max(r.replies, 1):.0%})"
    acc = f"{r.recorded_right}→{r.replayed_right}"
    print(f"{name:58} {r.items:5d} {r.stops:5d} {r.stopped_right:10d} {acc:>12} {saved:>13}")


if __name__ == "__main__":
    main()
