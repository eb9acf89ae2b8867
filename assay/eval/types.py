"""What every benchmark dataset gives the harness: items (a ``Task`` plus hidden scoring data) and a scorer.

The split matters for honesty: ``Item.task`` is all an agent or verifier ever sees (the question, and for
code the examples visible in the docstring); ``Item.hidden`` (HumanEval's hidden tests, the gold answer) is
read only by ``Dataset.score`` after a run has finished. The graph never receives a reference answer:
correctness and right/wrong flips are computed here, from the final pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assay.state import Task


@dataclass(frozen=True)
class Item:
    """One benchmark problem. ``hidden`` never reaches a prompt, ``Task.tests`` or ``Task.reference``."""

    id: str
    task: Task
    hidden: dict[str, Any] = field(default_factory=dict, repr=False)


class Dataset(Protocol):
    """A loader and scorer for one benchmark set; ``source`` and ``licence`` are shown in reports."""

    name: str
    source: str
    licence: str

    def load(self, *, limit: int | None, offset: int, seed: int, cache: Path) -> list[Item]: ...

    async def score(self, item: Item, answer: str | None) -> bool: ...


def window(rows: Sequence[Any], limit: int | None, offset: int) -> list[Any]:
    """``rows[offset : offset + limit]`` (all from ``offset`` when ``limit`` is None)."""
    end = None if limit is None else offset + limit
    return list(rows[offset:end])
