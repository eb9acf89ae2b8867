"""Many graph runs in flight on one shared context.

vLLM is fast only when many requests are in flight, so an app should fan runs out on one shared client (one
bounded connection pool) rather than run them one by one. Run it after `assay up`:

    python examples/concurrent_runs.py
"""

from __future__ import annotations

import asyncio
import time

import assay
from assay.runtime import open_checkpointer
from assay.tools.search import default_retriever

QUESTIONS = [
    assay.Task(question="What is 15 + 27?", kind="math", reference="42"),
    assay.Task(question="What is 9 * 8?", kind="math", reference="72"),
    assay.Task(question="What is the capital of France?", kind="qa", reference="Paris"),
    assay.Task(question="Which planet is known as the Red Planet?", kind="qa", reference="Mars"),
    assay.Task(
        question="Write a Python function add(a, b) that returns the sum of a and b.",
        kind="code",
        tests=["assert add(2, 3) == 5", "assert add(-1, 1) == 0"],
        entry_point="add",
    ),
]


async def main() -> None:
    settings = assay.load_settings(max_rounds=1)
    llm, judge, embedder = assay.make_clients(settings)
    ctx = assay.RunContext(settings=settings, llm=llm, judge=judge, embedder=embedder,
                           retriever=default_retriever(settings))  # fmt: skip
    start = time.perf_counter()
    async with open_checkpointer(settings.checkpoints) as saver:
        states = await asyncio.gather(*(assay.run(task, ctx=ctx, checkpointer=saver) for task in QUESTIONS))
    elapsed = time.perf_counter() - start
    for task, state in zip(QUESTIONS, states, strict=True):
        best = state.best
        right = "right" if best is not None and best.correct else "wrong"
        print(f"{task.question[:50]:50} -> {state.answer!r:14} {right:5} stopped by {state.stopped_by}")
    total = sum((s.usage for s in states), assay.Usage())
    print(f"{len(states)} runs in {elapsed:.1f}s, {total.calls} calls, {total.total_tokens} tokens")
    for client in (llm, judge, embedder):
        if client is not None:
            await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
