"""assay chat without a screen: events folded into a LiveRun, /why in words, slash commands, the session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _chat_fakes import easy_fake, fake_context

from assay.chat.commands import dispatch
from assay.chat.explain import budget_lines, comparisons, why
from assay.chat.live import LiveRun
from assay.chat.session import ChatSession
from assay.chat.topology import topology
from assay.errors import InputError
from assay.graphs import registry
from assay.graphs.adaptive import build_adaptive
from assay.settings import load_settings
from assay.state import Budget, Route, Task

ROUTE = Route(source="route", target="verify", round=0, reason="hard: agreement 0.50 (tau 0.75)",
              signals={"agreement": 0.5, "reward": None, "calls": 4, "tokens": 900},
              thresholds={"tau_agreement": 0.75, "tau_reward": 0.6, "max_calls": 40, "max_tokens": 20000})  # fmt: skip


def live_run() -> LiveRun:
    return LiveRun(task=Task(question="q"), graph="adaptive", thread_id="t1", budget=Budget())


def test_events_fold_into_the_live_picture() -> None:
    live = live_run()
    assert live.apply({"type": "node", "node": "solve", "phase": "start", "round": 0}) == "node"
    assert live.active == "solve" and live.visited == ["solve"]
    live.apply({"type": "token", "node": "solver", "index": 0, "delta": "2 + 2"})
    live.apply({"type": "token", "node": "solver", "index": 1, "delta": "four"})
    live.apply({"type": "token", "node": "solver", "index": 0, "delta": " = 4"})
    assert live.speaker == "solver" and live.tokens == {0: "2 + 2 = 4", 1: "four"}
    cand = {"id": "c1", "text": "4", "answer": "4", "scores": {"total": 0.9}}
    update = {"candidates": [cand], "usage": {"calls": 1, "prompt_tokens": 10, "completion_tokens": 5},
              "elapsed_s": 0.5, "routes": [ROUTE.model_dump(mode="json")]}  # fmt: skip
    assert live.apply({"type": "update", "node": "solve", "update": update}) == "update"
    live.apply({"type": "node", "node": "solve", "phase": "end"})
    assert live.active is None and live.usage.total_tokens == 15 and live.elapsed_s == 0.5
    assert live.candidates["c1"].scores.total == 0.9 and live.routes == [ROUTE]
    snap = live.snapshot()
    assert snap.candidates[0].id == "c1" and snap.usage.calls == 1 and snap.routes == [ROUTE]
    assert live.apply({"type": "update", "node": "x", "update": {"candidates": [{"bad": 1}]}}) == "update"
    assert list(live.candidates) == ["c1"]  # an update it cannot read changes nothing


def test_why_explains_the_last_decision_in_words() -> None:
    assert comparisons(ROUTE) == [
        "sample agreement 0.50 is below 0.75",
        "reward was not measured (threshold 0.60)",
        "LLM calls 4 of 40",
        "tokens 900 of 20000",
    ]
    end = Route(source="select", target="__end__", reason="best so far: c1 (solver, round 0)")
    lines = why([ROUTE, end], "confident")
    assert lines[0] == "In round 0, route sent the run to verify."
    assert "Reason: hard: agreement 0.50 (tau 0.75)." in lines
    assert "Then select → END: best so far: c1 (solver, round 0)." in lines
    assert lines[-1].startswith("The run stopped by confident")
    assert why([]) == ["No decision yet: ask a question first."]


def test_budget_lines_show_spend_against_limits() -> None:
    lines = budget_lines(Budget(max_calls=10, max_tokens=1000, max_seconds=60), None, 30.0)
    assert lines[0].startswith("calls") and lines[0].endswith("0 of 10")
    assert lines[2] == "seconds █████░░░░░ 30 of 60"


def test_topology_is_read_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    late = registry.register_graph("chat-test", build_adaptive, "registered while the session runs")
    monkeypatch.setitem(registry._RECIPES, "chat-test", registry._RECIPES.pop("chat-test", late))  # undone after
    session = ChatSession(load_settings())
    assert "chat-test" in session.graphs()  # /graph reads the registry each time
    topo = topology("adaptive")
    assert topo.nodes[0] == "solve" and "aggregate" in topo.successors("route")
    assert topo.successors("select") == ("END",)


def test_slash_commands(tmp_path: Path) -> None:
    session = ChatSession(load_settings())
    assert dispatch(session, "what is 2 + 2?") is None
    listed = dispatch(session, "/graph")
    assert listed is not None and "*adaptive*" in listed.lines[0]
    bad = dispatch(session, "/graph nope")
    assert bad is not None and bad.error and "unknown graph 'nope'" in bad.lines[0]
    changed = dispatch(session, "/budget calls 12")
    assert changed is not None and changed.redraw and session.budget.max_calls == 12
    for line, message in (("/budget calls x", "must be a number"), ("/budget cash 3", "unknown budget"),
                          ("/budget tokens 0", "must be positive"), ("/save", "usage: /save FILE"),
                          ("/save out.json", "nothing to save"), ("/frobnicate", "unknown command")):  # fmt: skip
        reply = dispatch(session, line)
        assert reply is not None and reply.error and message in reply.lines[0], line
    helped = dispatch(session, "/help")
    assert helped is not None and any(line.startswith("/why") for line in helped.lines)
    quit_ = dispatch(session, "/quit")
    assert quit_ is not None and quit_.quit
    assert dispatch(session, "/history").lines == ["No questions yet."]  # type: ignore[union-attr]


async def test_session_runs_a_question_and_saves_it(tmp_path: Path) -> None:
    fake, judge = easy_fake()
    session = ChatSession(load_settings(), context=fake_context(fake, judge))
    seen: list[str] = []
    live = session.new_run("What is 2 + 2?")
    await session.execute(live, lambda _live, what: seen.append(what))
    assert live.status == "done" and live.answer == "4" and live.final is not None
    assert {"node", "token", "update", "status"} <= set(seen)
    assert "solve" in live.visited and "aggregate" in live.visited
    out = tmp_path / "run.json"
    reply = dispatch(session, f"/save {out}")
    assert reply is not None and not reply.error, reply.lines
    data = json.loads(out.read_text())
    assert data["answer"] == "4" and data["question"] == "What is 2 + 2?" and data["routes"][0]["target"] == "aggregate"
    history = dispatch(session, "/history")
    assert history is not None and history.lines == [f"1. [adaptive] What is 2 + 2? → 4  (thread {live.thread_id})"]
    explained = dispatch(session, "/why")
    assert explained is not None and explained.lines[0].endswith("sent the run to aggregate.")


async def test_a_failing_run_is_recorded_not_raised() -> None:
    fake, _ = easy_fake()
    fake.disconnect(times=50)
    session = ChatSession(load_settings(max_attempts=1), context=fake_context(fake))
    live = session.new_run("What is 2 + 2?")
    await session.execute(live, lambda *_: None)
    assert live.status == "failed" and live.error


def test_bad_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown graph"):
        ChatSession(load_settings(), graph="nope")
    with pytest.raises(InputError, match="empty"):
        ChatSession(load_settings()).new_run("   ")


def test_first_contact_uses_a_running_generator_or_starts_the_asked_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.chat import startup
    from assay.llm.models import Endpoint
    from assay.llm.server import UpResult

    assert startup.make_ensure(load_settings(base_url="http://127.0.0.1:9/v1"))(print, print).startswith(
        "using the endpoint http://127.0.0.1:9/v1"
    )
    running = Endpoint(["http://127.0.0.1:7/v1"], "qwen2.5-coder-0.5b")
    monkeypatch.setattr(startup, "resolve_endpoint", lambda settings, role: running)
    started: list[list[str]] = []

    def fake_up(settings: object, names: list[str], **kwargs: object) -> UpResult:
        started.append(names)
        return UpResult(seconds=1.5)

    monkeypatch.setattr(startup, "ensure_up", fake_up)
    assert startup.make_ensure(load_settings())(print, print) == "using qwen2.5-coder-0.5b at http://127.0.0.1:7/v1"
    assert started == []  # no --model and a generator runs: nothing is started
    assert startup.make_ensure(load_settings(model="smollm2"))(print, print) == "servers ready in 1.5s: "
    assert started == [["smollm2", "smollm2-judge"]]  # --model: what `assay up --model` would start
    assert startup.generator_model(load_settings()) == "qwen2.5-coder-0.5b"
