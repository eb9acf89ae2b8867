"""Benchmark: what does assay's orchestration cost per agent step, on top of LangGraph and of a bare loop?

The LLM is instant (node functions do no I/O), so the time measured is pure orchestration: state merging,
routing, Route records, budget checks, the node adapter. Three implementations of the same topology
(solve -> score -> route -> [verify -> review -> refine -> score -> route]* -> select), three refine rounds,
19 node executions per run:

  assay     ``build_adaptive`` with instant node functions (pydantic RunState, reducers, Route records)
  langgraph the same nodes and edges in raw LangGraph over a minimal TypedDict state, written the usual
            way (conditional edges for the route and the budget gates; assay decides inside its nodes with
            ``Command(goto=...)``, which is part of what is measured)
  asyncio   a plain ``while`` loop calling the same functions and merging dicts

Targets: <= 1 ms per step, <= 1.3x raw LangGraph. Then three kit recipes (self-refine, test-refine and
debate with its ``Send`` fan-out) against the same topologies in raw LangGraph (``_recipe_topologies.py``),
and 100 concurrent ``assay.run()`` calls sharing one RunContext and one SQLite checkpointer (the real runtime
path), counting errors.

    python benchmarks/bench_orchestration.py [--runs 200] [--repeats 5] [--concurrent 100]

Prints a table and writes benchmarks/results/orchestration.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

from _recipe_topologies import recipe_overheads
from langgraph.graph import END, START, StateGraph

from assay.context import RunContext
from assay.graphs.adaptive import build_adaptive
from assay.graphs.registry import register_graph
from assay.llm.types import Usage
from assay.runtime import open_checkpointer, run
from assay.settings import Settings
from assay.state import Candidate, Evidence, Review, RunState, Scores, Task

RESULTS = Path(__file__).parent / "results" / "orchestration.json"
ROUNDS, SAMPLES, MAX_CALLS = 3, 4, 40
STEPS_PER_RUN = 3 + 5 * ROUNDS + 1  # solve, score, route; 5 per round; select
TASK = Task(question="What is 2 + 2?", kind="math")
ONE_CALL = Usage(calls=1, prompt_tokens=20, completion_tokens=10)


# -- assay: instant node functions over RunState -------------------------------------------------------------


async def a_solve(state: RunState, ctx: RunContext) -> dict[str, Any]:
    cands = [Candidate(id=f"s{i}", text=f"answer {i}", answer=str(i)) for i in range(SAMPLES)]
    return {"candidates": cands, "usage": ONE_CALL}


async def a_score(state: RunState, ctx: RunContext) -> dict[str, Any]:
    new = [c for c in state.candidates if c.scores.total is None]
    scored = [c.model_copy(update={"scores": Scores(agreement=0.25, reward=0.2, total=0.3 + 0.1 * c.round)})
              for c in new]  # fmt: skip
    return {"candidates": scored, "usage": ONE_CALL}


async def a_verify(state: RunState, ctx: RunContext) -> dict[str, Any]:
    ev = [Evidence(id=f"e{c.id}", candidate_id=c.id, tool="program", input="", outcome="ok", passed=True)
          for c in state.round_candidates()]  # fmt: skip
    return {"evidence": ev, "usage": ONE_CALL}


async def a_review(state: RunState, ctx: RunContext) -> dict[str, Any]:
    best = state.best or state.candidates[0]
    return {"reviews": [Review(id=f"r{state.round}", candidate_id=best.id, verdict="unsure", critique="x")],
            "usage": ONE_CALL}  # fmt: skip


async def a_refine(state: RunState, ctx: RunContext) -> dict[str, Any]:
    parent = state.best or state.candidates[0]
    cand = Candidate(id=f"f{state.round}", text="revised", answer="9", origin="refiner", parent=parent.id,
                     round=state.round)  # fmt: skip
    return {"candidates": [cand], "usage": ONE_CALL}


ASSAY_NODES: dict[str, Any] = {
    "solve": a_solve,
    "score": a_score,
    "verify": a_verify,
    "review": a_review,
    "refine": a_refine,
}


def assay_ctx() -> RunContext:
    settings = Settings(max_rounds=ROUNDS, patience=ROUNDS, tau_confident=0.99, tau_agreement=0.9)
    return RunContext(settings=settings, llm=None)  # type: ignore[arg-type]  # instant nodes never call it


# -- raw LangGraph and plain asyncio: the same work over dicts ------------------------------------------------


class RawState(TypedDict, total=False):
    candidates: Annotated[list[dict[str, Any]], operator.add]
    evidence: Annotated[list[dict[str, Any]], operator.add]
    reviews: Annotated[list[dict[str, Any]], operator.add]
    routes: Annotated[list[dict[str, Any]], operator.add]
    calls: Annotated[int, operator.add]
    round: int
    best: dict[str, Any] | None
    answer: str | None


async def r_solve(s: RawState) -> dict[str, Any]:
    return {"candidates": [{"id": f"s{i}", "answer": str(i), "round": 0, "total": 0.3} for i in range(SAMPLES)],
            "calls": 1}  # fmt: skip


async def r_score(s: RawState) -> dict[str, Any]:
    return {"calls": 1}


async def r_route(s: RawState) -> dict[str, Any]:
    best = max(s["candidates"], key=lambda c: c["total"])
    target = "select" if s.get("round", 0) >= ROUNDS else "verify"
    return {"routes": [{"source": "route", "target": target, "best_total": best["total"]}], "best": best}


async def r_verify(s: RawState) -> dict[str, Any]:
    rnd = s.get("round", 0)
    return {"evidence": [{"id": f"e{c['id']}", "passed": True} for c in s["candidates"] if c["round"] == rnd],
            "calls": 1}  # fmt: skip


async def r_review(s: RawState) -> dict[str, Any]:
    return {"reviews": [{"id": f"r{s.get('round', 0)}", "candidate_id": s["best"]["id"]}], "calls": 1}  # type: ignore[index]


async def r_refine(s: RawState) -> dict[str, Any]:
    rnd = s.get("round", 0) + 1
    cand = {"id": f"f{rnd}", "answer": "9", "round": rnd, "total": 0.3 + 0.1 * rnd}
    return {"candidates": [cand], "round": rnd, "calls": 1}


async def r_select(s: RawState) -> dict[str, Any]:
    best = max(s["candidates"], key=lambda c: c["total"])
    return {"answer": best["answer"], "routes": [{"source": "select", "target": END}]}


async def r_after_route(s: RawState) -> str:
    return str(s["routes"][-1]["target"])


def r_gate(nxt: str) -> Callable[[RawState], Awaitable[str]]:
    """The same budget gates as assay's graph (async edges, like assay's: a sync edge costs a thread hop)."""

    async def gate(s: RawState) -> str:
        return "select" if s.get("calls", 0) >= MAX_CALLS else nxt

    return gate


def raw_graph() -> Any:
    g: Any = StateGraph(RawState)
    for name, fn in (("solve", r_solve), ("score", r_score), ("route", r_route), ("verify", r_verify),
                     ("review", r_review), ("refine", r_refine), ("select", r_select)):  # fmt: skip
        g.add_node(name, fn)
    g.add_edge(START, "solve")
    g.add_edge("solve", "score")
    g.add_edge("score", "route")
    g.add_conditional_edges("route", r_after_route, ["verify", "select"])
    g.add_conditional_edges("verify", r_gate("review"), ["review", "select"])
    g.add_conditional_edges("review", r_gate("refine"), ["refine", "select"])
    g.add_conditional_edges("refine", r_gate("score"), ["score", "select"])
    g.add_edge("select", END)
    return g.compile()


async def plain_loop() -> dict[str, Any]:
    state: dict[str, Any] = {"candidates": [], "evidence": [], "reviews": [], "routes": [], "calls": 0, "round": 0}

    async def step(fn: Callable[[Any], Awaitable[dict[str, Any]]]) -> None:
        for key, value in (await fn(state)).items():
            state[key] = (
                state[key] + value if key in ("candidates", "evidence", "reviews", "routes", "calls") else value
            )

    for fn in (r_solve, r_score, r_route):
        await step(fn)
    while state["routes"][-1]["target"] == "verify":
        for fn in (r_verify, r_review, r_refine, r_score, r_route):
            await step(fn)
    await step(r_select)
    return state


# -- measurement ----------------------------------------------------------------------------------------------


async def time_runs(one: Callable[[], Awaitable[Any]], runs: int) -> float:
    """Seconds per run (sequential runs, after a warm-up)."""
    for _ in range(5):
        await one()
    start = time.perf_counter()
    for _ in range(runs):
        await one()
    return (time.perf_counter() - start) / runs


async def per_step_us(runs: int, repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median µs per node execution per implementation, and the median of the per-repeat ratios.

    Implementations are interleaved within each repeat, so a ratio compares runs made under the same load.
    """
    assay_app, ctx, raw_app = build_adaptive(**ASSAY_NODES).compile(), assay_ctx(), raw_graph()
    check = RunState.model_validate(await assay_app.ainvoke(RunState(task=TASK), context=ctx))
    assert check.stopped_by == "max_rounds" and check.round == ROUNDS, check.stopped_by

    impls: dict[str, Callable[[], Awaitable[Any]]] = {
        "assay": lambda: assay_app.ainvoke(RunState(task=TASK), context=ctx),
        "langgraph": lambda: raw_app.ainvoke({}),
        "asyncio": plain_loop,
    }
    samples: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(repeats):
        for name, one in impls.items():
            samples[name].append(await time_runs(one, runs) / STEPS_PER_RUN * 1e6)
    ratios = {
        f"assay_vs_{base}": statistics.median(a / b for a, b in zip(samples["assay"], samples[base], strict=True))
        for base in ("langgraph", "asyncio")
    }
    return {name: statistics.median(values) for name, values in samples.items()}, ratios


async def concurrent_runs(n: int) -> dict[str, Any]:
    """``n`` simultaneous ``assay.run()`` calls: one shared RunContext, one shared SQLite checkpointer."""
    register_graph("bench-instant", lambda human=False: build_adaptive(human=human, **ASSAY_NODES), "benchmark")
    ctx = assay_ctx()
    with tempfile.TemporaryDirectory() as tmp:
        async with open_checkpointer(Path(tmp) / "bench.sqlite") as saver:
            start = time.perf_counter()
            results = await asyncio.gather(
                *(run(TASK, graph="bench-instant", ctx=ctx, checkpointer=saver) for _ in range(n)),
                return_exceptions=True,
            )
            seconds = time.perf_counter() - start
    errors = [r for r in results if isinstance(r, BaseException)]
    done = [r for r in results if isinstance(r, RunState)]
    return {
        "runs": n,
        "errors": len(errors),
        "first_error": repr(errors[0]) if errors else None,
        "wrong_stop": sum(r.stopped_by != "max_rounds" for r in done),
        "seconds": seconds,
        "runs_per_s": n / seconds,
        "us_per_step_with_sqlite": seconds / (n * STEPS_PER_RUN) * 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=100)
    args = parser.parse_args()
    steps, ratios = await per_step_us(args.runs, args.repeats)
    recipes = await recipe_overheads(args.runs, args.repeats)
    conc = await concurrent_runs(args.concurrent)
    print(f"{'implementation':<12} {'us/step':>10}")
    for name, value in steps.items():
        print(f"{name:<12} {value:>10.1f}")
    print(f"assay / raw langgraph: {ratios['assay_vs_langgraph']:.2f}x (target <= 1.3)")
    print(f"assay / plain asyncio: {ratios['assay_vs_asyncio']:.1f}x")
    print(f"assay per step: {steps['assay'] / 1000:.3f} ms (target <= 1 ms)")
    for name, r in recipes.items():
        kit_us, raw_us = r["kit_us_per_step"], r["raw_us_per_step"]
        print(f"recipe {name:<12} kit {kit_us:7.1f} us/step, raw langgraph {raw_us:7.1f}: {r['ratio']:.2f}x")
    print(f"{conc['runs']} concurrent run() with SQLite checkpoints: {conc['errors']} errors, "
          f"{conc['seconds']:.2f}s, {conc['us_per_step_with_sqlite']:.0f} us/step")  # fmt: skip
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 shared cores: absolute times are noisy)")
    out = {"load_avg_1m": os.getloadavg()[0], "steps_per_run": STEPS_PER_RUN, "runs": args.runs,
           "repeats": args.repeats, "us_per_step": steps, "ratios": ratios,
           "targets": {"ms_per_step": 1.0, "vs_langgraph": 1.3}, "recipes": recipes, "concurrent": conc}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
