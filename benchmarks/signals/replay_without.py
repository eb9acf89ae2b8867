"""Offline replay: would adaptive's final pick change without one tool's evidence? (no model calls)

Reads a bench folder (`assay bench ... --out DIR`): the final state of every adaptive run from
`DIR/checkpoints.sqlite` and each candidate's hidden-test label from `DIR/results.json`. Drops the evidence
of ``--tool`` (by default: model-written tests) from the candidates that also have the task's docstring
examples (``--where-tool tests``), re-scores the pool with the run's settings (``refresh``), picks the best
total as the recipe does, and prints the runs whose pick changes and whether the new pick is right.

    python benchmarks/signals/replay_without.py /tmp/b/he40 [--tool gentests] [--where-tool tests]

A selection that no run changes means the dropped evidence bought nothing on that split but its tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from assay.graphs.registry import build_graph
from assay.kit import best_so_far
from assay.runtime import open_checkpointer
from assay.settings import load_settings
from assay.signals.scoring import Weights, refresh
from assay.state import RunState


def _threads(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        rows = con.execute("select distinct thread_id from checkpoints where thread_id like 'bench:adaptive:%'")
        return sorted(str(r[0]) for r in rows)


async def final_states(folder: Path) -> dict[str, RunState]:
    """Item id -> the final state of its adaptive run."""
    db, prefix = folder / "checkpoints.sqlite", "bench:adaptive:"
    async with open_checkpointer(db) as saver:
        app = build_graph("adaptive").compile(checkpointer=saver)
        snaps = {t: await app.aget_state({"configurable": {"thread_id": t}}) for t in _threads(db)}
    return {t.removeprefix(prefix): RunState.model_validate(s.values) for t, s in snaps.items() if s.values}


def without(state: RunState, tool: str, where_tool: str) -> RunState:
    """``state`` without ``tool``'s evidence on candidates that have ``where_tool`` evidence too."""
    has = {e.candidate_id for e in state.evidence if e.tool == where_tool}
    kept = [e for e in state.evidence if not (e.tool == tool and e.candidate_id in has)]
    return state.model_copy(update={"evidence": kept})


def replay(state: RunState, tool: str, where_tool: str, weights: Weights) -> tuple[str | None, str | None]:
    """(the pick with all the evidence, the pick without): best totals over the scored pool, both re-scored
    the same way, so only the dropped evidence differs (the recorded pick may come from a vote instead)."""
    scored = [c for c in state.candidates if c.scores.total is not None]
    if not scored:
        return None, None
    before = best_so_far(state.model_copy(update={"candidates": refresh(scored, state, weights)})).winner
    reduced = without(state, tool, where_tool)
    after = best_so_far(reduced.model_copy(update={"candidates": refresh(scored, reduced, weights)})).winner
    return (before.id if before else None), (after.id if after else None)


def labels(folder: Path) -> dict[tuple[str, str], bool]:
    records: list[dict[str, Any]] = json.loads((folder / "results.json").read_text())["records"]
    return {(r["item_id"], c["id"]): bool(c["correct"]) for r in records if r["recipe"] == "adaptive"
            for c in r.get("candidates", [])}  # fmt: skip


async def main(args: argparse.Namespace) -> int:
    weights, right = Weights.from_settings(load_settings()), labels(args.folder)
    changed = touched = 0
    for item, state in (await final_states(args.folder)).items():
        if not any(e.tool == args.tool for e in state.evidence):
            continue
        touched += 1
        before, after = replay(state, args.tool, args.where_tool, weights)
        if before != after:
            changed += 1
            print(f"{item}: {before} -> {after}; right: {right.get((item, before or ''))} -> "
                  f"{right.get((item, after or ''))}")  # fmt: skip
    print(f"runs with {args.tool} evidence: {touched}; picks changed without it: {changed}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="replay adaptive's pick without one tool's evidence")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--tool", default="gentests")
    parser.add_argument("--where-tool", default="tests")
    arguments = parser.parse_args()
    if not (arguments.folder / "results.json").is_file() or not (arguments.folder / "checkpoints.sqlite").is_file():
        parser.error(f"{arguments.folder} holds no bench results.json and checkpoints.sqlite")
    raise SystemExit(asyncio.run(main(arguments)))
