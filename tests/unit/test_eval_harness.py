"""The bench harness on FakeLLM: concurrent runs, scoring by the hidden scorer, flips, results.json, resume,
server /metrics deltas, the table and plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from assay.context import RunContext
from assay.eval.harness import BenchPlan, count_flips, run_bench, score_state
from assay.eval.records import CandidateRecord, Record, Results, load_results
from assay.eval.report import summarize, wilson
from assay.eval.types import Item
from assay.graphs.registry import register_graph
from assay.settings import Settings
from assay.signals._normalize import answers_match
from assay.state import Candidate, RunState, Scores, Task
from assay.testing import FakeLLM


class Arithmetic:
    """A tiny dataset: 'what is a + b?' with the sum hidden from the task."""

    name, source, licence = "arith", "made up in the test", "none"

    def load(self, *, limit: int | None, offset: int, seed: int, cache: Path) -> list[Item]:
        rows = [(a, a + 1) for a in range(offset, offset + (limit or 4))]
        return [Item(id=f"arith/{a}", task=Task(question=f"what is {a} + {b}?", kind="math"),
                     hidden={"answer": str(a + b)}) for a, b in rows]  # fmt: skip

    async def score(self, item: Item, answer: str | None) -> bool:
        return answers_match(answer, item.hidden["answer"], "math")


async def _solve(state: RunState, *, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """One chat call; a refiner 'revision' answering 0 (always wrong) is added as the child."""
    with runtime.context.llm.track() as used:
        out = await runtime.context.llm.chat([{"role": "user", "content": state.task.question}])
    first = Candidate(id="s0", text=out.text, answer=out.text.split()[-1], scores=Scores(agreement=1.0, total=0.9))
    child = Candidate(id="f1", text="0", answer="0", origin="refiner", parent="s0", round=1,
                      scores=Scores(agreement=0.2, total=0.1))  # fmt: skip
    return {"candidates": [first, child], "usage": used, "answer": first.answer, "best_id": "s0",
            "stopped_by": "confident"}  # fmt: skip


def _graph(**_: Any) -> StateGraph[RunState, RunContext, RunState, RunState]:
    graph: StateGraph[RunState, RunContext, RunState, RunState] = StateGraph(RunState, context_schema=RunContext)
    graph.add_node("solve", _solve)
    graph.add_edge(START, "solve")
    graph.add_edge("solve", END)
    return graph


register_graph("test-one-call", _graph, "one chat call (harness tests)")


def fake_server() -> FakeLLM:
    fake = FakeLLM(default="I do not know 0")
    for a in range(12):
        # right for even a, wrong for odd a
        fake.on(f"what is {a} + {a + 1}?", texts=f"the sum is {2 * a + 1 if a % 2 == 0 else 99}")
    return fake


def plan(tmp_path: Path, items: list[Item], **kw: Any) -> BenchPlan:
    return BenchPlan(dataset=Arithmetic(), items=items, graphs=["test-one-call"], out=tmp_path, **kw)


async def test_bench_scores_every_item_and_writes_results(tmp_path: Path) -> None:
    items = Arithmetic().load(limit=4, offset=0, seed=0, cache=tmp_path)
    done: list[Record] = []
    async with fake_server().client() as llm:
        ctx = RunContext(settings=Settings(home=tmp_path), llm=llm)
        results = await run_bench(plan(tmp_path, items, concurrency=3, on_done=lambda r, rec: done.append(rec)),
                                  Results(), ctx)  # fmt: skip
    assert sorted(r.item_id for r in done) == [i.id for i in items]
    by_id = {r.item_id: r for r in results.records}
    assert [by_id[i.id].correct for i in items] == [True, False, True, False]
    assert all(r.calls == 1 and r.completion_tokens > 0 and r.stopped_by == "confident" for r in results.records)
    assert by_id["arith/0"].flips.right_to_wrong == 1 and by_id["arith/1"].flips.wrong_to_wrong == 1
    on_disk = load_results(tmp_path / "results.json")
    assert on_disk.done() == results.done() and "test-one-call" in on_disk.server
    [summary] = summarize(on_disk)
    assert (summary.n, summary.correct, summary.right_to_wrong) == (4, 2, 2)


async def test_resume_skips_finished_pairs_and_reruns_errors(tmp_path: Path) -> None:
    items = Arithmetic().load(limit=3, offset=0, seed=0, cache=tmp_path)
    results = Results()
    results.add(Record(item_id="arith/0", recipe="test-one-call", correct=True, answer="1"))
    results.add(Record(item_id="arith/1", recipe="test-one-call", correct=False, error="LLMError: down"))
    fake = fake_server()
    async with fake.client() as llm:
        ctx = RunContext(settings=Settings(home=tmp_path), llm=llm)
        results = await run_bench(plan(tmp_path, items), results, ctx)
    asked = [r.prompt for r in fake.requests if r.path.endswith("/chat/completions")]
    assert sorted(asked) == ["what is 1 + 2?", "what is 2 + 3?"]  # item 0 was finished: not asked again
    assert {r.item_id: r.error for r in results.records} == {"arith/0": None, "arith/1": None, "arith/2": None}


async def test_server_counts_come_from_metrics_deltas(tmp_path: Path) -> None:
    fake = fake_server()
    reads = iter([10.0, 52.0])

    def metrics(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/metrics":
            return None
        value = next(reads)
        text = f'# HELP x\nvllm:generation_tokens_total{{model_name="m"}} {value}\nvllm:prompt_tokens_total 7.0\n'
        return httpx.Response(200, text=text)

    items = Arithmetic().load(limit=2, offset=0, seed=0, cache=tmp_path)
    async with fake.client() as llm:
        ctx = RunContext(settings=Settings(home=tmp_path), llm=llm)
        from assay.eval import harness

        original = harness.scrape

        async def scrape(roots: list[str]) -> dict[str, float]:
            return await original(roots, transport=httpx.MockTransport(lambda r: metrics(r) or httpx.Response(404)))

        harness.scrape = scrape  # type: ignore[assignment]
        try:
            results = await run_bench(plan(tmp_path, items), Results(), ctx)
        finally:
            harness.scrape = original
    count = results.server["test-one-call"]
    assert count.generation_tokens == 42.0 and count.prompt_tokens == 0.0


def test_flips_follow_parent_links_by_true_correctness() -> None:
    cands = [
        CandidateRecord(id="a", correct=False),
        CandidateRecord(id="b", parent="a", correct=True),
        CandidateRecord(id="c", parent="b", correct=False),
        CandidateRecord(id="d", parent="zz", correct=True),
    ]
    flips = count_flips(cands)
    assert (flips.wrong_to_right, flips.right_to_wrong, flips.right_to_right, flips.wrong_to_wrong) == (1, 1, 0, 0)


@pytest.mark.parametrize(("k", "n", "lo", "hi"), [(0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (5, 10, 0.2366, 0.7634)])
def test_wilson_interval_matches_published_values(k: int, n: int, lo: float, hi: float) -> None:
    low, high = wilson(k, n)
    assert low == pytest.approx(lo, abs=1e-3) and high == pytest.approx(hi, abs=1e-3)


async def test_score_state_scores_each_distinct_answer_once(tmp_path: Path) -> None:
    calls: list[str | None] = []

    class Counting(Arithmetic):
        async def score(self, item: Item, answer: str | None) -> bool:
            calls.append(answer)
            return answer == "3"

    item = Arithmetic().load(limit=1, offset=1, seed=0, cache=tmp_path)[0]
    state = RunState(task=item.task, answer="3", candidates=[Candidate(id="x", text="3", answer="3"),
                     Candidate(id="y", text="3", answer="3"), Candidate(id="z", text="4", answer="4")])  # fmt: skip
    record = await score_state(Counting(), item, "r", state, 1.5)
    assert record.correct and sorted(calls, key=str) == ["3", "4"]
    assert json.loads(record.model_dump_json())["latency_s"] == 1.5
