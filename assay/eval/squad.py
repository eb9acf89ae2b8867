"""SQuAD v1.1 dev (Rajpurkar et al. 2016) as open-book QA: the question alone, the evidence found by search.

Source: the SQuAD v1.1 dev set as shipped in the BIG-bench sdist (PyPI ``bigbench==1.0.0``,
``bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json``: 48 articles, 2,067 paragraphs, 10,565
questions), licence CC BY-SA 4.0 (SQuAD); BIG-bench itself is Apache-2.0. The 358 MB sdist is fetched once
with ``pip download --no-deps`` (or found at ``$ASSAY_BIGBENCH_SDIST``), the 8 MB file is extracted to
``<home>/eval/squad/`` and nothing else is kept.

Agents never see the paragraph: the verifier searches a BM25 index of the 2,067 SQuAD paragraphs plus the
10,033 offline Wikipedia summaries as distractors (``qa_retriever``), so the evidence is reachable but has to
be found. A question is scored correct when the answer matches any gold span (SQuAD normalisation).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.eval.types import Item
from assay.signals._normalize import answers_match
from assay.state import Task
from assay.tools.corpus import TOKENIZER_VERSION, Document, WikiSource
from assay.tools.search import BM25Retriever

SDIST = "bigbench-1.0.0.tar.gz"
MEMBER = "squad_shifts/squaddev_v1.1.json"


def _download(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), "bigbench==1.0.0"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (folder / SDIST).is_file():
        why = (done.stderr.strip().splitlines() or ["no file"])[-1]
        raise InputError(f"cannot fetch the bigbench sdist for SQuAD ({why}); set ASSAY_BIGBENCH_SDIST to a copy")
    return folder / SDIST


def _extract(sdist: Path, target: Path) -> None:
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(MEMBER):
                source = tar.extractfile(member)
                if source is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(source.read())
                    return
    raise InputError(f"{sdist} has no {MEMBER}")


def squad_file(cache: Path) -> Path:
    """The extracted dev file, fetching and extracting it on first use."""
    target = cache / "squad" / "squaddev_v1.1.json"
    if target.is_file():
        return target
    given = os.environ.get("ASSAY_BIGBENCH_SDIST")
    sdist = Path(given) if given else cache / "downloads" / SDIST
    if not sdist.is_file():
        sdist = _download(sdist.parent)
    _extract(sdist, target)
    return target


def read_squad(path: Path) -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["data"]
    return articles


def paragraph_docs(articles: list[dict[str, Any]]) -> list[Document]:
    docs = []
    for art in articles:
        title = str(art["title"]).replace("_", " ")
        for j, para in enumerate(art["paragraphs"]):
            docs.append(Document(id=f"squad:{art['title']}#{j}", title=title, text=str(para["context"])))
    return docs


class SquadWikiSource:
    """SQuAD dev paragraphs plus the offline Wikipedia summaries (distractors), one BM25 corpus."""

    def __init__(self, squad_path: Path, wiki: WikiSource | None = None) -> None:
        self.squad_path = squad_path
        self.wiki = wiki or WikiSource()
        self.name = "squad-dev+wiki"

    def load(self) -> list[Document]:
        return paragraph_docs(read_squad(self.squad_path)) + self.wiki.load()

    def cache_key(self) -> str:
        stat = self.squad_path.stat()
        stamp = f"{self.squad_path}|{stat.st_size}|{self.wiki.cache_key()}|{TOKENIZER_VERSION}"
        return f"{self.name}-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"


def questions(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": qa["id"], "question": qa["question"], "answers": [a["text"] for a in qa["answers"]]}
        for art in articles
        for para in art["paragraphs"]
        for qa in para["qas"]
    ]


class Squad:
    name = "squad"
    source = "SQuAD v1.1 dev (Rajpurkar et al. 2016), from the PyPI bigbench==1.0.0 sdist (squad_shifts)"
    licence = "CC BY-SA 4.0"

    def load(self, *, limit: int | None, offset: int, seed: int, cache: Path) -> list[Item]:
        """A seeded shuffle of the 10,565 questions, then ``offset .. offset+limit``."""
        rows = questions(read_squad(squad_file(cache)))
        random.Random(seed).shuffle(rows)
        end = None if limit is None else offset + limit
        return [
            Item(id=f"squad/{r['id']}", task=Task(question=r["question"], kind="qa"), hidden={"answers": r["answers"]})
            for r in rows[offset:end]
        ]

    async def score(self, item: Item, answer: str | None) -> bool:
        return any(answers_match(answer, gold, "qa") for gold in item.hidden["answers"])

    def retriever(self, cache: Path, search_cache: Path) -> BM25Retriever:
        """The BM25 retriever QA runs use (index cached under ``search_cache``)."""
        return BM25Retriever(SquadWikiSource(squad_file(cache)), cache_root=search_cache)
