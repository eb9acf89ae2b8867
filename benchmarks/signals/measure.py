"""Measure the signals on a labelled held-in set: accuracy, "confident but wrong", AUC per signal, cost.

    python benchmarks/signals/measure.py run --out runs.jsonl [--limit-per-kind N] [--offset-per-kind M] [-c 4]
        [--kinds qa,math]
    python benchmarks/signals/measure.py report runs.jsonl [runs-before.jsonl]

``run`` sends every task of ``tasks.jsonl`` through ``assay.runtime.run`` (the adaptive graph, default budget,
the servers ``assay up`` started or ``ASSAY_BASE_URL``) as a user would: code tasks get NO tests file; their
hidden tests grade every candidate afterwards. One JSON line per task: the final answer, whether it is right,
the stop reason, the verdict, calls, tokens, seconds, and every candidate's signals and label. ``run`` uses
only APIs older versions have too, so a checkout of an older commit (``PYTHONPATH=old-tree``) measures the
"before". ``report`` prints the figures (``assay.signals.auc`` for AUCs) as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CONFIDENT_STOPS = ("confident", "easy")


def load_tasks(limit_per_kind: int | None, offset_per_kind: int = 0) -> list[dict[str, Any]]:
    """The tasks, optionally the ``limit_per_kind`` of each kind after skipping ``offset_per_kind`` of it (a
    split the weights were not chosen on)."""
    tasks = [json.loads(line) for line in (HERE / "tasks.jsonl").read_text().splitlines() if line.strip()]
    seen: dict[str, int] = {}
    out = []
    for t in tasks:
        seen[t["kind"]] = seen.get(t["kind"], 0) + 1
        if seen[t["kind"]] > offset_per_kind and (
            limit_per_kind is None or seen[t["kind"]] <= offset_per_kind + limit_per_kind
        ):
            out.append(t)
    return out


def open_right(answer: str | None, keywords: list[str]) -> bool:
    text = (answer or "").lower()
    return all(re.search(k, text) for k in keywords)


async def code_right(task: dict[str, Any], code: str | None, allow_weak: bool) -> bool:
    from assay.agents.verifier import program_for
    from assay.state import Task
    from assay.tools.tests import run_tests

    if not code:
        return False
    t = Task(question=task["question"], kind="code", entry_point=task["entry_point"])
    report = await run_tests(program_for(t, code), task["hidden_tests"], entry_point=task["entry_point"],
                             allow_weak=allow_weak)  # fmt: skip
    return report.error is None and report.total > 0 and report.passed == report.total


async def label(task: dict[str, Any], answer: str | None, allow_weak: bool) -> bool:
    from assay.signals._normalize import answers_match

    if task["kind"] == "qa":
        sys.path.insert(0, str(HERE))
        from _report import qa_right

        return qa_right(answer, task)
    if task["kind"] == "code":
        return await code_right(task, answer, allow_weak)
    if task["kind"] == "open":
        return open_right(answer, task["keywords"])
    return answers_match(answer, task["reference"], task["kind"])


def _verdict(state: Any, settings: Any) -> str | None:
    try:
        from assay.signals.verdict import verdict
    except ImportError:  # an older tree: no verdicts yet
        return None
    return verdict(state, settings.tau_confident).label


async def one(task: dict[str, Any], ctx: Any, saver: Any) -> dict[str, Any]:
    from assay.runtime import default_budget, run
    from assay.state import Task

    kind = task["kind"]
    t = Task(question=task["question"], kind=kind, entry_point=task.get("entry_point"))
    start = time.perf_counter()
    try:
        state = await run(t, ctx=ctx, budget=default_budget(ctx.settings), checkpointer=saver)
    except Exception as exc:  # a failed run is a data point, not the end of the measurement
        return {"id": task["id"], "kind": kind, "error": f"{type(exc).__name__}: {exc}"[:300]}
    seconds = time.perf_counter() - start
    weak = ctx.settings.sandbox_allow_weak
    cands = []
    for c in state.candidates:
        cands.append({"id": c.id, "origin": c.origin, "round": c.round, "answer": (c.answer or "")[:300],
                      "scores": c.scores.model_dump(), "verbal": c.verbal_confidence,
                      "correct": await label(task, c.answer, weak)})  # fmt: skip
    best = next((c for c in cands if c["id"] == state.best_id), None)
    right = best["correct"] if best else await label(task, state.answer, weak)
    return {
        "id": task["id"], "kind": kind, "answer": (state.answer or "")[:300], "right": right,
        "stopped_by": state.stopped_by, "best_id": state.best_id,
        "verdict": _verdict(state, ctx.settings), "seconds": round(seconds, 2),
        "calls": state.usage.calls, "tokens": state.usage.total_tokens, "candidates": cands,
        "evidence": [e.model_dump(mode="json", include={"candidate_id", "tool", "passed", "details"})
                     for e in state.evidence],
    }  # fmt: skip


async def run_all(args: argparse.Namespace) -> None:
    from assay.runtime import default_context, open_checkpointer
    from assay.settings import load_settings
    from assay.state import Task

    settings = load_settings()
    tasks = load_tasks(args.limit_per_kind, args.offset_per_kind)
    if args.kinds:
        tasks = [t for t in tasks if t["kind"] in args.kinds.split(",")]
    done = set()
    out = Path(args.out)
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    todo = [t for t in tasks if t["id"] not in done]
    sem = asyncio.Semaphore(args.concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        async with default_context(settings, Task(question="q", kind="qa")) as ctx, \
                open_checkpointer(Path(tmp) / "ck.sqlite") as saver:  # fmt: skip

            async def guarded(task: dict[str, Any]) -> None:
                async with sem:
                    record = await one(task, ctx, saver)
                with out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                print(task["id"], record.get("right"), record.get("verdict"), record.get("seconds"), flush=True)

            await asyncio.gather(*(guarded(t) for t in todo))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--limit-per-kind", type=int)
    r.add_argument("--offset-per-kind", type=int, default=0)
    r.add_argument("--concurrency", "-c", type=int, default=4)
    r.add_argument("--kinds", default="", help="only these kinds, comma-separated (e.g. qa)")
    rep = sub.add_parser("report")
    rep.add_argument("files", nargs="+")
    args = parser.parse_args()
    if args.cmd == "run":
        asyncio.run(run_all(args))
    else:
        sys.path.insert(0, str(HERE))
        from _report import report

        for path in args.files:
            print(report(Path(path)))
