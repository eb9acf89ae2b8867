"""The ``results.json`` format: one record per (problem, recipe), plus server-side token counts per recipe.

Peers (OptiLLM, DSPy, benchmarks/peers/) write the same format, so one report and one set of plots cover
assay's recipes and theirs. Files are rewritten atomically after every finished pair, so a killed run loses
nothing that finished and ``--resume`` skips those pairs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assay.errors import InputError
from assay.state import Flips, Scores

FORMAT = 1
TEXT_CHARS = 1500


class CandidateRecord(BaseModel):
    """One pool member with its signal scores and its true correctness (hidden scorer): for signal AUC."""

    model_config = ConfigDict(extra="ignore")

    id: str
    origin: str = "solver"
    parent: str | None = None
    round: int = 0
    answer: str | None = None
    scores: Scores = Field(default_factory=Scores)
    correct: bool = False
    text: str = ""  # the reply, cut to TEXT_CHARS (enough to see why an answer lost)


class Record(BaseModel):
    """One problem run by one recipe. Tokens are the client's count for this run (``RunState.usage``)."""

    model_config = ConfigDict(extra="ignore")

    item_id: str
    recipe: str
    correct: bool
    answer: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    latency_s: float = 0.0  # wall seconds of this run in the harness
    elapsed_s: float = 0.0  # seconds the run's own budget clock counted
    stopped_by: str | None = None
    routes: list[dict[str, Any]] = Field(default_factory=list)
    flips: Flips = Field(default_factory=Flips)  # by true correctness, per revision (parent -> child)
    candidates: list[CandidateRecord] = Field(default_factory=list)
    error: str | None = None


class ServerCount(BaseModel):
    """Token counters read from the vLLM servers' ``/metrics`` before and after a recipe's phase."""

    prompt_tokens: float = 0.0
    generation_tokens: float = 0.0
    requests: float = 0.0
    exclusive: bool = True  # False when another recipe's runs overlapped this phase (counts are shared)

    def __add__(self, other: ServerCount) -> ServerCount:
        return ServerCount(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            generation_tokens=self.generation_tokens + other.generation_tokens,
            requests=self.requests + other.requests,
            exclusive=self.exclusive and other.exclusive,
        )


class Results(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: int = FORMAT
    meta: dict[str, Any] = Field(default_factory=dict)
    records: list[Record] = Field(default_factory=list)
    server: dict[str, ServerCount] = Field(default_factory=dict)

    def done(self) -> set[tuple[str, str]]:
        return {(r.item_id, r.recipe) for r in self.records}

    def add(self, record: Record) -> None:
        self.records = [r for r in self.records if (r.item_id, r.recipe) != (record.item_id, record.recipe)]
        self.records.append(record)

    def add_server(self, recipe: str, count: ServerCount) -> None:
        old = self.server.get(recipe)
        self.server[recipe] = count if old is None else old + count

    def recipes(self) -> list[str]:
        return list(dict.fromkeys(r.recipe for r in self.records))


def results_path(out: Path) -> Path:
    return out / "results.json"


def load_results(path: Path) -> Results:
    try:
        return Results.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read results file {path}: {exc}".splitlines()[0]) from None


def save_results(results: Results, path: Path) -> None:
    """Write to a temp file and rename: a crash mid-write never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(results.model_dump_json(indent=1), encoding="utf-8")
    os.replace(tmp, path)


def common(results: Results) -> Results:
    """Only the items every recipe finished without an error record: recipes run on different subsets (or
    cut short) compare on the same problems. Server counts cover whole phases, so they are dropped when
    records are."""
    ids = [
        {r.item_id for r in results.records if r.recipe == recipe and r.error is None} for recipe in results.recipes()
    ]
    keep = set.intersection(*ids) if ids else set()
    kept = [r for r in results.records if r.item_id in keep]
    return Results(meta={**results.meta, "common_items": len(keep)}, records=kept,
                   server={k: v for k, v in results.server.items() if len(kept) == len(results.records)})  # fmt: skip


def merge(paths: list[Path]) -> Results:
    """Several results files (e.g. assay's and the peers') as one, for a combined table and plots."""
    merged = Results()
    for path in paths:
        part = load_results(path)
        merged.meta = merged.meta or part.meta
        for record in part.records:
            merged.add(record)
        for recipe, count in part.server.items():
            merged.add_server(recipe, count)
    return merged
