"""gsm_symbolic: GSM8K-style word problems generated from templates, seeded and reproducible.

Source: ``reasoning-gym`` (PyPI ``reasoning-gym==0.1.25``, dataset ``gsm_symbolic``: 100 templates derived
from GSM8K test questions, after Mirzadeh et al. 2024, "GSM-Symbolic"), licence Apache-2.0.
This is NOT the GSM8K test split: the numbers and names are re-drawn per seed, so figures are comparable
only between runs with the same seed. The generator's worked solution (``answer_cot``) is never shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.eval.types import Item
from assay.signals._normalize import answers_match
from assay.state import Task

INSTALL = "pip install 'assay[eval]'  (or: pip install reasoning-gym==0.1.25)"


def generate(seed: int, size: int) -> list[dict[str, Any]]:
    try:
        import reasoning_gym  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(f"reasoning-gym is not installed; run: {INSTALL}") from None
    data = reasoning_gym.create_dataset("gsm_symbolic", seed=seed, size=size)
    return [dict(data[i]) for i in range(size)]


class GsmSymbolic:
    name = "gsm_symbolic"
    source = "reasoning-gym==0.1.25 gsm_symbolic (GSM-Symbolic templates from GSM8K test; not the GSM8K test split)"
    licence = "Apache-2.0"

    def load(self, *, limit: int | None, offset: int, seed: int, cache: Path) -> list[Item]:
        """Items ``offset .. offset+limit`` of the dataset generated with ``seed`` (default size 100)."""
        size = offset + (limit if limit is not None else 100)
        rows = generate(seed, size)[offset:]
        items = []
        for i, row in enumerate(rows, start=offset):
            task = Task(question=str(row["question"]), kind="math")
            items.append(Item(id=f"gsm_symbolic/{seed}/{i}", task=task, hidden={"answer": str(row["answer"])}))
        return items

    async def score(self, item: Item, answer: str | None) -> bool:
        return answers_match(answer, item.hidden["answer"], "math")
