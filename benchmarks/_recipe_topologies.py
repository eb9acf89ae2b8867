"""Orchestration cost per step of three kit recipes against the same topologies in raw LangGraph.

The recipes are built exactly as their modules build them (``kit.loop`` for self-refine and test-refine, the
``Flow`` with a ``Send`` fan-out for debate), with instant node functions, so what is timed is the kit: the
node adapter, typed-update checks, budget gates, router, stop rules, Route records and the finish step. The
raw versions use a TypedDict state, conditional edges for routing and budget gates, and ``Send`` for debate.
"""

from __future__ import annotations

import operator
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from assay import kit
from assay.context import RunContext
from assay.graphs import debate, self_refine, test_refine
from assay.llm.types import Usage
from assay.settings import Settings
from assay.state import Candidate, Evidence, Review, RunState, Scores, Task

ROUNDS, MAX_CALLS, DEBATERS = 3, 40, 3
TASK = Task(question="What is 2 + 2?", kind="math")
ONE = Usage(calls=1, prompt_tokens=20, completion_tokens=10)


def _cands(state: RunState, n: int, origin: str = "solver") -> list[Candidate]:
    return [Candidate(id=f"r{state.round}-{origin}-{i}", text="t", answer=str(i), origin=origin, round=state.round)
            for i in range(n)]  # fmt: skip


def solver(n: int) -> kit.NodeFn:
    async def solve(state: RunState, ctx: RunContext) -> kit.Update:
        return {"candidates": _cands(state, n), "usage": ONE}

    return solve


async def score(state: RunState, ctx: RunContext) -> kit.Update:
    new = [c.model_copy(update={"scores": Scores(reward=0.3, total=0.3 + 0.1 * c.round)})
           for c in state.candidates if c.scores.total is None]  # fmt: skip
    return {"candidates": new, "usage": ONE}


async def verify(state: RunState, ctx: RunContext) -> kit.Update:
    ev = [Evidence(id=f"e{c.id}", candidate_id=c.id, tool="program", input="", outcome="no", passed=False)
          for c in state.round_candidates()]  # fmt: skip
    return {"evidence": ev, "usage": ONE}


async def review(state: RunState, ctx: RunContext) -> kit.Update:
    target = state.candidates[-1]
    return {"reviews": [Review(id=f"v{state.round}", candidate_id=target.id, verdict="unsure", critique="x")],
            "usage": ONE}  # fmt: skip


async def refine(state: RunState, ctx: RunContext) -> kit.Update:
    return {"candidates": _cands(state, 1, "refiner"), "usage": ONE}


async def argue(state: RunState, ctx: RunContext) -> kit.Update:
    me = state.extra["branch"]
    return {"candidates": [Candidate(id=f"r{state.round}-debater-{me[-1]}", text="t", answer=f"{me}{state.round}",
                                     origin="debater", parent=me, round=state.round)], "usage": ONE}  # fmt: skip


def kit_graphs() -> dict[str, Any]:
    refine_loop = kit.loop(solver(1), check=[("rate", score)], revise=[("review", review), ("refine", refine)],
                           stops=self_refine.STOPS, select=self_refine.SELECT, revise_first=True)  # fmt: skip
    tests_loop = kit.loop(solver(4), check=[("verify", verify), ("tally", score)], revise=[("refine", refine)],
                          stops=kit.Stops(kit.BudgetLimit(), kit.Verified(), kit.MaxRounds()),
                          select=test_refine.SELECT)  # fmt: skip
    f = kit.Flow()
    f.step("solve", solver(DEBATERS), "verify")
    f.step("verify", verify, "record")
    f.plain("record", score, "route")
    f.route("route", kit.router(debate.STOPS, "open"), to=("open", "select"))
    f.fan_out("open", debate.open_round, "argue", debate.fan, "verify")
    f.branch("argue", argue)
    f.finish("select", kit.finish(debate.SELECT))
    return {
        "self-refine": refine_loop.compile(),
        "test-refine": tests_loop.compile(),
        "debate": f.start("solve").compile(),
    }


class Raw(TypedDict, total=False):
    candidates: Annotated[list[dict[str, Any]], operator.add]
    evidence: Annotated[list[dict[str, Any]], operator.add]
    routes: Annotated[list[dict[str, Any]], operator.add]
    calls: Annotated[int, operator.add]
    round: int
    branch: str
    answer: str | None


def r_solve(n: int) -> Callable[[Raw], Awaitable[dict[str, Any]]]:
    async def solve(s: Raw) -> dict[str, Any]:
        return {"candidates": [{"id": f"s{i}", "answer": str(i), "round": 0, "total": None} for i in range(n)],
                "calls": 1}  # fmt: skip

    return solve


async def r_score(s: Raw) -> dict[str, Any]:
    return {"candidates": [{**c, "total": 0.3 + 0.1 * c["round"]} for c in s["candidates"] if c["total"] is None],
            "calls": 1}  # fmt: skip


async def r_verify(s: Raw) -> dict[str, Any]:
    rnd = s.get("round", 0)
    return {"evidence": [{"id": c["id"], "passed": False} for c in s["candidates"] if c["round"] == rnd], "calls": 1}


async def r_review(s: Raw) -> dict[str, Any]:
    return {"calls": 1}


async def r_refine(s: Raw) -> dict[str, Any]:
    rnd = s.get("round", 0) + 1
    return {"candidates": [{"id": f"f{rnd}", "answer": "9", "round": rnd, "total": None}], "round": rnd, "calls": 1}


def r_route(limit: int) -> Callable[[Raw], Awaitable[dict[str, Any]]]:
    async def route(s: Raw) -> dict[str, Any]:
        best = max(s["candidates"], key=lambda c: c["total"] or 0)
        stop = s.get("round", 0) >= limit
        return {"routes": [{"target": "select" if stop else "next", "best": best["total"]}]}

    return route


async def r_select(s: Raw) -> dict[str, Any]:
    return {"answer": max(s["candidates"], key=lambda c: c["total"] or 0)["answer"]}


async def r_open(s: Raw) -> dict[str, Any]:
    return {"round": s.get("round", 0) + 1}


async def r_argue(s: Raw) -> dict[str, Any]:
    rnd = s.get("round", 0)
    return {"candidates": [{"id": f"d{rnd}{s['branch']}", "answer": "7", "round": rnd, "total": None}], "calls": 1}


def _gate(nxt: str) -> Callable[[Raw], Awaitable[str]]:
    async def gate(s: Raw) -> str:
        return "select" if s.get("calls", 0) >= MAX_CALLS else nxt

    return gate


def _after_route(nxt: str) -> Callable[[Raw], Awaitable[str]]:
    async def after(s: Raw) -> str:
        return "select" if s["routes"][-1]["target"] == "select" else nxt

    return after


def _raw(nodes: dict[str, Any], chain: list[tuple[str, str]], loop: str) -> Any:
    g: Any = StateGraph(Raw)
    for name, fn in {**nodes, "route": r_route(ROUNDS), "select": r_select}.items():
        g.add_node(name, fn)
    g.add_edge(START, "solve")
    for src, dst in chain:
        g.add_conditional_edges(src, _gate(dst), [dst, "select"]) if dst != "route" else g.add_edge(src, dst)
    g.add_conditional_edges("route", _after_route(loop), [loop, "select"])
    g.add_edge("select", END)
    return g.compile()


async def _fan(s: Raw) -> list[Send] | str:
    return (
        [Send("argue", {**s, "branch": str(i)}) for i in range(DEBATERS)] if s.get("calls", 0) < MAX_CALLS else "select"
    )


def raw_graphs() -> dict[str, Any]:
    refine_chain = [("solve", "review"), ("review", "refine"), ("refine", "rate"), ("rate", "route")]
    refine = _raw(
        {"solve": r_solve(1), "review": r_review, "refine": r_refine, "rate": r_score}, refine_chain, "review"
    )
    tests_chain = [("solve", "verify"), ("verify", "tally"), ("tally", "route"), ("refine", "verify")]
    tests_nodes = {"solve": r_solve(4), "verify": r_verify, "tally": r_score, "refine": r_refine}
    tests = _raw(tests_nodes, tests_chain, "refine")
    g: Any = StateGraph(Raw)
    for name, fn in {"solve": r_solve(DEBATERS), "verify": r_verify, "record": r_score, "route": r_route(2),
                     "open": r_open, "argue": r_argue, "select": r_select}.items():  # fmt: skip
        g.add_node(name, fn)
    g.add_edge(START, "solve")
    g.add_conditional_edges("solve", _gate("verify"), ["verify", "select"])
    g.add_conditional_edges("verify", _gate("record"), ["record", "select"])
    g.add_edge("record", "route")
    g.add_conditional_edges("route", _after_route("open"), ["open", "select"])
    g.add_conditional_edges("open", _fan, ["argue", "select"])
    g.add_edge("argue", "verify")
    g.add_edge("select", END)
    return {"self-refine": refine, "test-refine": tests, "debate": g.compile()}


async def _steps(app: Any, inp: Any, **kw: Any) -> int:
    return sum([1 async for _ in app.astream(inp, stream_mode="updates", **kw)])


async def recipe_overheads(runs: int, repeats: int) -> dict[str, dict[str, float]]:
    """Per recipe: µs per node execution (kit, raw) and the median per-repeat ratio."""
    ctx = RunContext(settings=Settings(max_rounds=ROUNDS, patience=ROUNDS, tau_confident=0.99), llm=None)  # type: ignore[arg-type]
    mine, raw = kit_graphs(), raw_graphs()
    out: dict[str, dict[str, float]] = {}
    for name in mine:
        kit_app, raw_app = mine[name], raw[name]
        k_steps = await _steps(kit_app, RunState(task=TASK), context=ctx)
        r_steps = await _steps(raw_app, {})
        k_times, r_times = [], []
        for _ in range(repeats):  # interleaved, so each ratio compares runs made under the same load
            k_times.append(await _time(kit_app, RunState(task=TASK), runs, context=ctx) / k_steps)
            r_times.append(await _time(raw_app, {}, runs) / r_steps)
        k_us, r_us = statistics.median(k_times) * 1e6, statistics.median(r_times) * 1e6
        ratio = statistics.median(a / b for a, b in zip(k_times, r_times, strict=True))
        out[name] = {"kit_us_per_step": k_us, "raw_us_per_step": r_us, "ratio": ratio, "steps": k_steps}
    return out


async def _time(app: Any, inp: Any, runs: int, **kw: Any) -> float:
    """Seconds per run (sequential runs, after a warm-up); a fresh input each run."""
    for _ in range(3):
        await app.ainvoke(inp.model_copy() if isinstance(inp, RunState) else dict(inp), **kw)
    start = time.perf_counter()
    for _ in range(runs):
        await app.ainvoke(inp.model_copy() if isinstance(inp, RunState) else dict(inp), **kw)
    return (time.perf_counter() - start) / runs
