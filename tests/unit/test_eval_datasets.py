"""Math and QA loaders: seeded and windowed, answers hidden from the task, scored by normalised match."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.eval.champ import Champ, numeric_problems
from assay.eval.datasets import get_dataset
from assay.eval.squad import Squad, SquadWikiSource, squad_file
from assay.settings import Settings
from assay.tools.corpus import WikiSource
from assay.tools.search import BM25Retriever

SQUAD = {"data": [{"title": "Super_Bowl_50", "paragraphs": [{
    "context": "Super Bowl 50 was played at Levi's Stadium in Santa Clara, California.",
    "qas": [{"id": "q1", "question": "Where was Super Bowl 50 played?", "answers": [{"text": "Levi's Stadium"},
            {"text": "Santa Clara, California"}]}]}]}]}  # fmt: skip


async def test_gsm_symbolic_is_seeded_and_hides_the_answer(tmp_path: Path) -> None:
    pytest.importorskip("reasoning_gym")
    ds = get_dataset("gsm_symbolic", Settings(home=tmp_path))
    a = ds.load(limit=3, offset=0, seed=7, cache=tmp_path)
    b = ds.load(limit=2, offset=1, seed=7, cache=tmp_path)
    assert [i.task for i in a[1:]] == [i.task for i in b] and a[1].id == "gsm_symbolic/7/1"
    assert ds.load(limit=1, offset=0, seed=8, cache=tmp_path)[0].task != a[0].task
    item = a[0]
    assert item.task.kind == "math" and item.task.reference is None
    assert await ds.score(item, f"so the answer is {item.hidden['answer']}.")
    assert not await ds.score(item, "no idea")


async def test_champ_keeps_numeric_answers_and_caches_them(tmp_path: Path) -> None:
    raw = {"problems": {"P1": {"_text": "How many?", "_answer": "239"}, "P2": {"_text": "Which?", "_answer": "x^2"},
                        "P3": {"_text": "Sum?", "_answer": "-4"}}}  # fmt: skip
    rows = numeric_problems(raw)
    assert [r["id"] for r in rows] == ["P1", "P3"]
    (tmp_path / "champ.json").write_text(json.dumps(rows))
    items = Champ().load(limit=None, offset=1, seed=0, cache=tmp_path)
    assert [i.id for i in items] == ["champ/P3"] and await Champ().score(items[0], "Answer: -4")


def _sdist(path: Path) -> Path:
    data = json.dumps(SQUAD).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


async def test_squad_extracts_from_the_sdist_and_matches_any_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_BIGBENCH_SDIST", str(_sdist(tmp_path / "bb.tar.gz")))
    [item] = Squad().load(limit=5, offset=0, seed=0, cache=tmp_path / "eval")
    assert (tmp_path / "eval" / "squad" / "squaddev_v1.1.json").is_file()
    assert item.task.question == "Where was Super Bowl 50 played?" and item.task.context is None
    assert await Squad().score(item, "Santa Clara, California") and await Squad().score(item, "levi's stadium")
    assert not await Squad().score(item, "Miami")


async def test_squad_retriever_finds_the_paragraph_among_wikipedia_distractors(tmp_path: Path) -> None:
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD))
    wiki = tmp_path / "wiki.json"
    wiki.write_text(json.dumps({"Paris": {"title": "Paris", "extract": "Paris is the capital of France."}}))
    retriever = BM25Retriever(SquadWikiSource(path, WikiSource(path=wiki)))
    hits = await retriever.search("Where was Super Bowl 50 played?", k=2)
    assert hits[0].id == "squad:Super_Bowl_50#0" and "Levi's Stadium" in hits[0].text


def test_missing_sdist_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_BIGBENCH_SDIST", str(tmp_path / "nope.tar.gz"))
    monkeypatch.setattr("assay.eval.squad._download", lambda folder: (_ for _ in ()).throw(InputError("no sdist")))
    with pytest.raises(InputError, match="no sdist"):
        squad_file(tmp_path)


def test_unknown_dataset_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="known datasets: champ, gsm_symbolic, humaneval, squad"):
        get_dataset("mmlu", Settings(home=tmp_path))
