"""run(): checkpoints, resume after a crash, finished threads, human review, events, corrupt files, concurrency."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from _graph_stubs import Script, make_ctx

from assay.context import RunContext
from assay.errors import CheckpointError, InputError
from assay.graphs.adaptive import build_adaptive
from assay.graphs.registry import register_graph
from assay.runtime import open_checkpointer, run
from assay.state import Budget, Task

TASK = Task(question="what is 2 + 2?", kind="math")
HARD = {"3": 0.4, "5": 0.3, "4": 0.9}  # the refined "4" beats the solver answers


def stub_graph(script: Script) -> str:
    name = f"stub-{id(script)}"
    register_graph(name, lambda human=False: build_adaptive(human=human, **script.nodes()), "test", supports_human=True)
    return name


@pytest.fixture
def ctx(tmp_path: Path) -> RunContext:
    return make_ctx(checkpoint_path=tmp_path / "cp" / "checkpoints.sqlite")


async def test_run_creates_the_checkpoint_and_returns_the_final_state(ctx: RunContext) -> None:
    script = Script(["3", "5"], ["4"], totals=HARD)
    state = await run(TASK, graph=stub_graph(script), ctx=ctx, thread_id="t1")
    assert state.answer == "4" and state.stopped_by == "confident"
    assert ctx.settings.checkpoints.exists()


async def test_resume_after_a_crash_does_not_rerun_finished_nodes(ctx: RunContext) -> None:
    script = Script(["3", "5"], ["4"], totals=HARD, fail_once="review")
    graph = stub_graph(script)
    with pytest.raises(RuntimeError, match="review crashed"):
        await run(TASK, graph=graph, ctx=ctx, thread_id="crash")
    state = await run(TASK, graph=graph, ctx=ctx, thread_id="crash")
    assert state.answer == "4"
    # review ran twice (the crash, then the resume); solve and the first verify were not re-run.
    # The second verify is the fresh revision's, before it is scored.
    calls = (script.calls["solve"], script.calls["verify"], script.calls["review"], script.calls["refine"])
    assert calls == (1, 2, 2, 1)


async def test_a_finished_thread_returns_its_state_without_running(ctx: RunContext) -> None:
    script = Script(["3", "5"], ["4"], totals=HARD)
    graph = stub_graph(script)
    first = await run(TASK, graph=graph, ctx=ctx, thread_id="done")
    again = await run(TASK, graph=graph, ctx=ctx, thread_id="done")
    assert again == first and script.calls["solve"] == 1
    with pytest.raises(InputError, match="belongs to another question"):
        await run("what is 3 + 3?", graph=graph, ctx=ctx, thread_id="done")


@pytest.mark.parametrize("approve", [True, False])
async def test_human_review_before_a_refined_answer_replaces_the_solver(ctx: RunContext, approve: bool) -> None:
    script = Script(["3", "5"], ["4"], totals=HARD)
    asked: list[dict[str, Any]] = []

    async def human(payload: dict[str, Any]) -> bool:
        asked.append(payload)
        return approve

    state = await run(TASK, graph=stub_graph(script), ctx=ctx, thread_id=f"h{approve}", human=human)
    assert len(asked) == 1 and asked[0]["current"]["answer"] == "3" and asked[0]["proposed"]["answer"] == "4"
    human_routes = [r for r in state.routes if r.source == "human"]
    assert [r.reason for r in human_routes] == ["human approved" if approve else "human rejected"]
    assert state.answer == ("4" if approve else "3")
    assert state.stopped_by == ("confident" if approve else "human")


async def test_a_pending_human_review_needs_a_hook_to_resume(ctx: RunContext) -> None:
    script = Script(["3", "5"], ["4"], totals=HARD)
    graph = stub_graph(script)

    def walk_away(payload: dict[str, Any]) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await run(TASK, graph=graph, ctx=ctx, thread_id="wait", human=walk_away)
    with pytest.raises(InputError, match="waits for human review"):
        await run(TASK, graph=graph, ctx=ctx, thread_id="wait")
    events: list[dict[str, Any]] = []
    state = await run(TASK, graph=graph, ctx=ctx, thread_id="wait", human=lambda payload: True, on_event=events.append)
    assert state.answer == "4" and script.calls["refine"] == 1
    # the stored question is answered directly: the paused route node runs once more, not once to re-ask
    assert [e["node"] for e in events if e.get("phase") == "start"].count("route") == 1


async def test_events_stream_node_updates_and_phases(ctx: RunContext) -> None:
    events: list[dict[str, Any]] = []
    await run(TASK, graph=stub_graph(Script(["3", "5"], ["4"], totals=HARD)), ctx=ctx, on_event=events.append)
    updates = [e["node"] for e in events if e["type"] == "update"]
    # math: the cheap verifier runs before every score, so the hard path goes straight to the review
    assert updates == ["solve", "verify", "score", "route", "review", "refine", "verify", "score", "route", "select"]
    phases = [(e["node"], e["phase"]) for e in events if e["type"] == "node"]
    assert ("solve", "start") in phases and ("select", "end") in phases
    route_update = next(e for e in events if e["type"] == "update" and e["node"] == "route")
    assert route_update["update"]["routes"][0]["target"] == "review"  # JSON-ready


async def test_corrupt_checkpoint_is_one_line_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    junk = b"this is not a database" * 100
    path.write_bytes(junk)
    ctx = make_ctx(checkpoint_path=path)
    with pytest.raises(CheckpointError, match="is unreadable") as err:
        await run(TASK, graph=stub_graph(Script(["1"])), ctx=ctx)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == junk


async def test_bad_input_is_an_input_error(ctx: RunContext) -> None:
    with pytest.raises(InputError, match="empty"):
        await run("   ", ctx=ctx)
    with pytest.raises(InputError, match="unknown graph"):
        await run(TASK, graph="nope", ctx=ctx)


async def test_many_runs_share_one_context_and_checkpointer(ctx: RunContext) -> None:
    script = Script(["3", "5"], ["4"], totals=HARD)
    graph = stub_graph(script)
    async with open_checkpointer(ctx.settings.checkpoints) as saver:
        runs = [run(TASK, graph=graph, ctx=ctx, checkpointer=saver, budget=Budget(max_calls=20)) for _ in range(30)]
        states = await asyncio.gather(*runs)
    assert all(s.answer == "4" for s in states)
    assert script.calls["solve"] == 30


async def test_a_write_cancelled_before_its_commit_does_not_lock_the_file_for_later_runs(tmp_path: Path) -> None:
    """Ctrl+C while LangGraph's background writes were mid-way (a write not committed, a cursor still open) used
    to leave SQLite's write lock held for the rest of the process: the next question in ``assay chat`` failed
    with "database is locked" (found as a flaky chat test: about 1 run in 4)."""
    path = tmp_path / "checkpoints.sqlite"
    async with open_checkpointer(path) as saver:
        conn = saver.conn  # type: ignore[attr-defined]
        await conn.execute("INSERT INTO checkpoints (thread_id, checkpoint_id) VALUES ('t', 'c'), ('t', 'd')")
        left_open = await conn.execute("SELECT checkpoint_id FROM checkpoints")  # a read stopped mid-way
        await left_open.fetchone()
    with closing(sqlite3.connect(path, timeout=0)) as other:
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" while the cancelled write holds the lock
        other.rollback()
    assert left_open is not None  # the cancelled write's cursor is still alive, as it was in the chat app
