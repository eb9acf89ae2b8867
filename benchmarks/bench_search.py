"""Offline search quality and speed: recall@5 and MRR of BM25 (and BM25 + MiniLM re-rank) on hand-written
questions whose answers are in the Wikipedia summaries corpus.

    python benchmarks/bench_search.py [--questions FILE] [--out FILE] [--pool 20]

The dense row runs only when an embedder endpoint resolves (ASSAY_EMBED_URL or a server from `assay up`)
and answers its health check; otherwise it is reported as skipped. Writes benchmarks/results/search.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from assay.context import Retriever
from assay.llm.client import LLMClient
from assay.llm.models import resolve_endpoint
from assay.settings import load_settings
from assay.tools.corpus import WikiSource, open_index
from assay.tools.search import BM25Retriever, DenseReranker

HERE = Path(__file__).parent
K = 5


def load_questions(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def index_timings(cache_root: Path) -> dict[str, Any]:
    """Cold build (read JSON, tokenize, index, save) and warm load from the bm25s cache."""
    source = WikiSource()
    start = time.perf_counter()
    docs = source.load()
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    built = open_index(source, cache_root)
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    open_index(source, cache_root)
    warm_s = time.perf_counter() - start
    return {
        "corpus_docs": len(docs),
        "corpus_chars": sum(len(d.text) for d in docs),
        "read_json_s": round(read_s, 3),
        "cold_build_and_save_s": round(cold_s, 3),
        "bm25_index_s": round(built.build_s, 3),
        "warm_load_s": round(warm_s, 3),
    }


async def evaluate(name: str, retriever: Retriever, questions: list[dict[str, str]], depth: int) -> dict[str, Any]:
    """recall@5, MRR@depth and recall@depth for the gold title; per-query latency in milliseconds."""
    ranks: list[int | None] = []
    latencies: list[float] = []
    misses: list[dict[str, Any]] = []
    for q in questions:
        start = time.perf_counter()
        hits = await retriever.search(q["question"], k=depth)
        latencies.append((time.perf_counter() - start) * 1000)
        titles = [h.title for h in hits]
        rank = titles.index(q["title"]) + 1 if q["title"] in titles else None
        ranks.append(rank)
        if rank is None or rank > K:
            misses.append({"question": q["question"], "gold": q["title"], "rank": rank, "top3": titles[:3]})
    n = len(questions)
    return {
        "name": name,
        "questions": n,
        f"recall@{K}": round(sum(1 for r in ranks if r and r <= K) / n, 3),
        f"recall@{depth}": round(sum(1 for r in ranks if r) / n, 3),
        f"mrr@{depth}": round(sum(1 / r for r in ranks if r) / n, 3),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p95": round(sorted(latencies)[int(0.95 * (n - 1))], 2),
        "misses": misses,
    }


async def dense_row(bm25: Retriever, questions: list[dict[str, str]], pool: int) -> dict[str, Any]:
    settings = load_settings()
    endpoint = resolve_endpoint(settings, "embedder")
    if endpoint is None:
        return {"name": "bm25+dense", "skipped": "no embedder endpoint (set ASSAY_EMBED_URL or run `assay up`)"}
    async with LLMClient(endpoint.base_urls, model=endpoint.model, api_key=endpoint.api_key) as embedder:
        if not await embedder.health():
            return {"name": "bm25+dense", "skipped": f"embedder at {endpoint.base_urls[0]} is not healthy"}
        row = await evaluate("bm25+dense", DenseReranker(bm25, embedder, pool=pool), questions, pool)
        row["embedder"] = {"url": endpoint.base_urls[0], "model": endpoint.model, "pool": pool}
        return row


def summary_line(row: dict[str, Any], depth: int) -> str:
    if "skipped" in row:
        return f"{row['name']:<12} skipped: {row['skipped']}"
    return (
        f"{row['name']:<12} recall@{K} {row[f'recall@{K}']:.3f}  recall@{depth} {row[f'recall@{depth}']:.3f}  "
        f"MRR@{depth} {row[f'mrr@{depth}']:.3f}  p50 {row['latency_ms_p50']:.1f} ms  p95 {row['latency_ms_p95']:.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=HERE / "data" / "search_questions.jsonl")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "search.json")
    parser.add_argument("--pool", type=int, default=20, help="BM25 candidates the dense re-ranker re-orders")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        timings = index_timings(Path(tmp))
        bm25 = BM25Retriever(WikiSource(), cache_root=Path(tmp))
        bm25.index()  # load before timing: latency is per query, the build is reported above
        rows = [await evaluate("bm25", bm25, questions, args.pool), await dense_row(bm25, questions, args.pool)]
    print(
        f"corpus {timings['corpus_docs']} docs; cold build+save {timings['cold_build_and_save_s']} s "
        f"(bm25 index {timings['bm25_index_s']} s), warm load {timings['warm_load_s']} s"
    )
    for row in rows:
        print(summary_line(row, args.pool))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"k": K, "pool": args.pool, "index": timings, "rows": rows}
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
