"""Fact-checked question answering over your own documents (CRITIC-style, B1).

Candidate answers are turned into claims ("The capital of Australia is Sydney."), checked against passages
retrieved by BM25 from a folder of .txt/.md files, and a claim the passages contradict loses its score: the
answer is the best candidate the evidence does not refute, with the quote that supports it. Run it after
`assay up` on a folder of notes, or on the scripted fake backend with two built-in documents:

    python examples/fact_checked_qa.py "Which city is the capital of Australia?" --docs ./notes
    python examples/fact_checked_qa.py --fake
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import assay
from assay.testing import FakeLLM, FakeRequest
from assay.tools.search import BM25Retriever

QUESTION = "Which city is the capital of Australia?"
DOCS = {
    "australia.md": "Canberra is the capital city of Australia. It was chosen as a compromise between rivals.",
    "sydney.md": "Sydney is the largest city of Australia and the capital of New South Wales, not of the nation.",
}


async def answer(question: str, docs: Path, ctx: assay.RunContext) -> dict[str, object]:
    """One fact-checked run over the documents in ``docs``; returns what the report prints."""
    ctx.retriever = BM25Retriever.from_folder(docs)
    state = await assay.run(assay.Task(question=question, kind="qa"), ctx=ctx)
    checks = {}
    for ev in state.evidence:
        if ev.tool == "factcheck":
            claim = str(ev.details.get("claim", ev.input))
            checks[claim] = (ev.passed, ev.details.get("quote") or ev.outcome)
    return {"answer": state.answer, "stopped_by": state.stopped_by, "checks": checks,
            "answers_tried": sorted({c.answer or "" for c in state.candidates})}  # fmt: skip


def _claims_sydney(request: FakeRequest) -> bool:
    return "Claim:" in request.prompt and "Sydney" in request.prompt.rsplit("Claim:", 1)[1]


def fake_context(settings: assay.Settings) -> assay.RunContext:
    """Half the samples say Sydney (a famous mistake), the fact-check judge reads the passages and says no."""
    llm = FakeLLM(default="unknown")
    llm.on(_claims_sydney, texts=["contradicted"]).on("Claim:", texts=["supported"])
    llm.on("You improve a solution", texts=["Answer: Canberra\nCanberra is the capital.\nConfidence: 90%"])
    sydney, canberra = "Answer: Sydney\nIt is the biggest city.", "Answer: Canberra\nIt is the seat of government."
    llm.on("Answer the question", texts=[sydney + "\nConfidence: 80%", canberra + "\nConfidence: 60%"])
    judge = FakeLLM().on_classify("", p_yes=0.5)
    return assay.RunContext(settings=settings, llm=llm.client(), judge=judge.client())


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Answer a question, fact-checked against your documents.")
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--docs", type=Path, help="folder of .txt/.md files (default: two built-in documents)")
    parser.add_argument("--fake", action="store_true", help="use the scripted FakeLLM instead of a server")
    args = parser.parse_args(argv)
    settings = assay.load_settings(samples=4, max_rounds=1)
    if args.fake:
        ctx = fake_context(settings)
    else:
        llm, judge, _ = assay.make_clients(settings)
        ctx = assay.RunContext(settings=settings, llm=llm, judge=judge)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.docs or Path(tmp)
        if args.docs is None:
            for name, text in DOCS.items():
                (folder / name).write_text(text, encoding="utf-8")
        report = await answer(args.question, folder, ctx)
    print(f"answer: {report['answer']}  (stopped by {report['stopped_by']})")
    for claim, (passed, quote) in report["checks"].items():  # type: ignore[attr-defined]
        mark = {True: "supported", False: "CONTRADICTED", None: "unsettled"}[passed]
        print(f"  {mark:12} {claim}  <- {str(quote)[:80]}")
    await ctx.llm.aclose()
    if ctx.judge is not None:
        await ctx.judge.aclose()


if __name__ == "__main__":
    asyncio.run(main())
