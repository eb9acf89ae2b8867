"""Offline: how much of adaptive's generated tokens went to revision rounds (round 1 on), per bench folder.

Reads the checkpoint history of every adaptive run in `DIR/checkpoints.sqlite` (no model calls) and prints,
per run that revised, its generated tokens at the end of round 0 and at the end; then the folder's totals.
Round 0 is the greedy answer, its tools, and (when widened) the other samples and their tests.

    python benchmarks/signals/round_costs.py /tmp/b/he-90-99 [DIR ...]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from replay_without import _threads

from assay.graphs.registry import build_graph
from assay.runtime import open_checkpointer
from assay.state import RunState


async def costs(folder: Path) -> tuple[int, int]:
    """(adaptive's generated tokens, the part spent from round 1 on)."""
    db = folder / "checkpoints.sqlite"
    total = in_rounds = 0
    async with open_checkpointer(db) as saver:
        app = build_graph("adaptive").compile(checkpointer=saver)
        for thread in _threads(db):
            history = [s async for s in app.aget_state_history({"configurable": {"thread_id": thread}})]
            states = [RunState.model_validate(s.values) for s in reversed(history) if "task" in s.values]
            if not states:
                continue
            end = states[-1].usage.completion_tokens
            start = [s for s in states if s.round == 0][-1].usage.completion_tokens
            total += end
            if states[-1].round >= 1:
                in_rounds += end - start
                print(f"  {thread}: {start} after round 0, {end} in all")
    return total, in_rounds


async def main(folders: list[Path]) -> None:
    for folder in folders:
        total, in_rounds = await costs(folder)
        print(f"{folder}: adaptive generated {total} tokens, {in_rounds} of them in rounds >= 1")


if __name__ == "__main__":
    if len(sys.argv) < 2 or not all((Path(p) / "checkpoints.sqlite").is_file() for p in sys.argv[1:]):
        sys.exit("usage: round_costs.py DIR ... (bench folders holding checkpoints.sqlite)")
    asyncio.run(main([Path(p) for p in sys.argv[1:]]))
