"""Offline: the same pools scored with other weights. Would the pick, and the ranking, be better? (no model calls)

Reads bench folders (`assay bench ... --out DIR`): the final state of every adaptive run from its checkpoints
and each candidate's hidden-test label from `results.json`. Re-scores every scored pool twice with the
formula (``refresh``): with the shipped weights and with ``--weights`` (confidence, agreement, reward, steps,
evidence), picks the best total as the recipe does (greedy kept within the ``greedy_margin`` its probe
recorded), and prints, per folder, how many picks are right, how many wrong picks reach ``tau_confident``
(would be called confident), and the AUC of the total over all labelled candidates, for both. Picks only:
routing (when a run stops) is not replayed. Folders a change was not tuned on are a disjoint check of weights
fitted elsewhere (``measure.py report`` suggests some).

    python benchmarks/signals/reweigh.py --weights 0.11,0.23,0.17,0.26,0.24 /tmp/b/squad-120-139 [DIR ...]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from pathlib import Path

from replay_without import final_states, labels

from assay.kit import best_so_far, keep_greedy
from assay.settings import load_settings
from assay.signals.auc import auc
from assay.signals.scoring import SIGNALS, Weights, refresh


def parse_weights(text: str) -> dict[str, float]:
    values = [float(v) for v in text.split(",")]
    if len(values) != len(SIGNALS) or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"five weights >= 0, in the order {', '.join(SIGNALS)}")
    return dict(zip(SIGNALS, values, strict=True))


async def compare(folder: Path, weights: dict[str, Weights]) -> dict[str, tuple[int, int, float | None]]:
    """Per weight set: (right picks, wrong picks at or over tau_confident, AUC of the total over labelled
    candidates)."""
    right, states = labels(folder), await final_states(folder)
    out = {}
    for name, w in weights.items():
        picks, sure_wrong, pairs = 0, 0, []
        for item, state in states.items():
            scored = refresh([c for c in state.candidates if c.scores.total is not None], state, w)
            if not scored:
                continue
            pool = state.model_copy(update={"candidates": scored})
            winner = keep_greedy(best_so_far)(pool).winner  # the margin the run's probe recorded, if any
            ok = bool(winner and right.get((item, winner.id)))
            picks += ok
            sure_wrong += bool(winner and not ok and (winner.scores.total or 0.0) >= w.tau_confident)
            pairs += [(c.scores.total or 0.0, right[(item, c.id)]) for c in scored if (item, c.id) in right]
        out[name] = (picks, sure_wrong, auc(pairs))
    return out


async def main(args: argparse.Namespace) -> None:
    shipped = Weights.from_settings(load_settings())
    weights = {"shipped": shipped, "given": replace(shipped, **args.weights)}
    for folder in args.folders:
        result = await compare(folder, weights)
        said = (
            f"{n}: {p} right picks, {c} wrong at >= tau_confident, total AUC {a:.2f}"
            if a is not None
            else f"{n}: {p} right picks, {c} wrong at >= tau_confident"
            for n, (p, c, a) in result.items()
        )
        print(f"{folder}: " + "; ".join(said))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="re-score adaptive's recorded pools with other weights")
    parser.add_argument("--weights", type=parse_weights, required=True)
    parser.add_argument("folders", type=Path, nargs="+")
    arguments = parser.parse_args()
    for f in arguments.folders:
        if not (f / "results.json").is_file() or not (f / "checkpoints.sqlite").is_file():
            parser.error(f"{f} holds no bench results.json and checkpoints.sqlite")
    asyncio.run(main(arguments))
