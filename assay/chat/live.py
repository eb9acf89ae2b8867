"""The live picture of one run, folded from the runtime's events (``run(on_event=...)``).

The runtime streams node updates (``{"type": "update", "node", "update"}``), node start/end events on the
``custom`` stream (``{"type": "node", "node", "phase"}``) and token deltas (``{"type": "token", ...}``).
``LiveRun.apply`` merges them the way the graph's reducers do, so the terminal view (and ``/save`` in the
middle of a run) sees candidates, evidence, routes and spend as they happen, not only at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from assay.llm.types import Usage
from assay.state import Budget, Candidate, Evidence, Route, RunState, Task

Status = Literal["running", "review", "done", "cancelled", "failed"]
TOKEN_TAIL = 4000  # characters of the speaking agent's text kept for the view


@dataclass
class LiveRun:
    """One question put to one graph: what has happened so far, and the final state once it is done."""

    task: Task
    graph: str
    thread_id: str
    budget: Budget
    status: Status = "running"
    active: str | None = None
    visited: list[str] = field(default_factory=list)
    speaker: str | None = None
    tokens: dict[int, str] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    elapsed_s: float = 0.0
    round: int = 0
    node_started: float | None = None
    final: RunState | None = None
    error: str | None = None
    began: float = field(default_factory=time.monotonic)

    def apply(self, event: dict[str, Any]) -> str:
        """Fold one runtime event in; returns what it changed: "node", "token", "update" or ""."""
        kind = event.get("type")
        if kind == "token":
            return self._token(event)
        if kind == "node":
            return self._node(event)
        if kind == "update" and isinstance(event.get("update"), dict):
            self._update(event["update"])
            return "update"
        return ""

    def _token(self, event: dict[str, Any]) -> str:
        index = int(event.get("index", 0))
        if event.get("node") != self.speaker:
            self.speaker, self.tokens = str(event.get("node")), {}
        self.tokens[index] = (self.tokens.get(index, "") + str(event.get("delta", "")))[-TOKEN_TAIL:]
        return "token"

    def _node(self, event: dict[str, Any]) -> str:
        name, phase = event.get("node"), event.get("phase")
        if not isinstance(name, str):
            return ""
        if phase == "start":
            self.active, self.node_started = name, time.monotonic()
            self.round = int(event.get("round", self.round))
            if name not in self.visited:
                self.visited.append(name)
        elif phase in ("end", "skipped") and self.active == name:
            self.active, self.node_started = None, None
        return "node"

    def _update(self, update: dict[str, Any]) -> None:
        try:
            for item in update.get("candidates") or []:
                cand = Candidate.model_validate(item)
                self.candidates[cand.id] = cand
            for item in update.get("evidence") or []:
                ev = Evidence.model_validate(item)
                self.evidence[ev.id] = ev
            self.routes.extend(Route.model_validate(r) for r in update.get("routes") or [])
            if update.get("usage"):
                self.usage = self.usage + Usage.model_validate(update["usage"])
        except ValidationError:  # a recipe with its own vocabulary: show what can be shown
            return
        self.elapsed_s += float(update.get("elapsed_s") or 0.0)
        if isinstance(update.get("round"), int):
            self.round = update["round"]

    def finish(self, state: RunState) -> None:
        """The run returned: its final state replaces the folded picture."""
        self.final, self.status, self.active = state, "done", None
        self.candidates = {c.id: c for c in state.candidates}
        self.evidence = {e.id: e for e in state.evidence}
        self.routes, self.usage, self.elapsed_s = list(state.routes), state.usage, state.elapsed_s

    def spent_seconds(self) -> float:
        """Seconds the budget counts: finished node time plus the running node's time so far."""
        running = time.monotonic() - self.node_started if self.node_started and self.status == "running" else 0.0
        return self.elapsed_s + running

    def evidence_for(self, candidate_id: str) -> list[Evidence]:
        return [e for e in self.evidence.values() if e.candidate_id == candidate_id]

    def snapshot(self) -> RunState:
        """The run as a ``RunState``: the final one, or what is known so far (for ``/save`` mid-run)."""
        if self.final is not None:
            return self.final
        return RunState(task=self.task, budget=self.budget, candidates=list(self.candidates.values()),
                        evidence=list(self.evidence.values()), routes=list(self.routes), usage=self.usage,
                        elapsed_s=self.elapsed_s, round=self.round)  # fmt: skip

    @property
    def answer(self) -> str | None:
        return self.final.answer if self.final else None
