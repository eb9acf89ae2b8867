"""CHAMP (Mao et al. 2024, "CHAMP: A Competition-level Dataset for Fine-Grained Analyses of LLMs' Mathematical
Reasoning Capabilities"): 270 competition problems; the harness uses the 79 whose answer is one number.

Source: PyPI ``champ-dataset==1.0.0`` (``champ_dataset/dataset_files/v0.json``), licence MIT. Install with
``pip install --no-deps champ-dataset==1.0.0`` (its code dependencies are not needed: assay reads the JSON).
The 72 MB file is read once and the numeric-answer problems are cached under ``<home>/eval/champ.json``.
Hints, concepts and the reference solutions are never shown to an agent.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.eval.types import Item, window
from assay.signals._normalize import answers_match
from assay.state import Task

INSTALL = "pip install --no-deps champ-dataset==1.0.0"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _data_file() -> Path:
    spec = importlib.util.find_spec("champ_dataset")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "dataset_files" / "v0.json"
        if path.is_file():
            return path
    raise InputError(f"the CHAMP dataset is not installed; run: {INSTALL}")


def numeric_problems(raw: dict[str, Any]) -> list[dict[str, str]]:
    """``{id, question, answer}`` for problems whose answer is a single number, in file order."""
    rows = []
    for key, prob in raw["problems"].items():
        answer = str(prob.get("_answer", "")).strip()
        if _NUMBER.fullmatch(answer):
            rows.append({"id": key, "question": str(prob["_text"]), "answer": answer})
    return rows


def cached_problems(cache: Path) -> list[dict[str, str]]:
    path = cache / "champ.json"
    if path.is_file():
        rows: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return rows
    rows = numeric_problems(json.loads(_data_file().read_text(encoding="utf-8")))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


class Champ:
    name = "champ"
    source = "CHAMP (Mao et al. 2024), PyPI champ-dataset==1.0.0, numeric-answer subset (79 of 270)"
    licence = "MIT"

    def load(self, *, limit: int | None, offset: int, seed: int, cache: Path) -> list[Item]:
        rows = window(cached_problems(cache), limit, offset)
        return [
            Item(id=f"champ/{r['id']}", task=Task(question=r["question"], kind="math"), hidden={"answer": r["answer"]})
            for r in rows
        ]

    async def score(self, item: Item, answer: str | None) -> bool:
        return answers_match(answer, item.hidden["answer"], "math")
