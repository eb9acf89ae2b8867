"""Kind detection on the labelled questions in benchmarks/signals/kinds.jsonl (naming a language is not code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.agents.kind import detect_kind

LABELLED = [
    json.loads(line)
    for line in (Path(__file__).parents[2] / "benchmarks" / "signals" / "kinds.jsonl").read_text().splitlines()
    if line.strip()
]


def test_there_are_enough_labelled_questions_of_every_kind() -> None:
    assert len(LABELLED) >= 40
    assert {row["kind"] for row in LABELLED} == {"code", "math", "qa", "open"}


@pytest.mark.parametrize("row", LABELLED, ids=[row["q"][:40] for row in LABELLED])
def test_detect_kind(row: dict[str, str]) -> None:
    assert detect_kind(row["q"]) == row["kind"]


@pytest.mark.parametrize("question", ["What is Python?", "Who created the Java programming language?"])
def test_naming_a_language_is_not_a_programming_request(question: str) -> None:
    assert detect_kind(question) != "code"
