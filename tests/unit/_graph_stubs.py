"""Scripted stand-in node functions for routing tests: no model, every score chosen by the test.

Answers map to (reward, total); solve returns ``solver_answers``; refine returns the next entry of
``refine_answers`` per round. Every LLM-ish node spends ``calls_per_node`` calls and ``tokens_per_node``
tokens, so budget arithmetic is exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from assay.context import RunContext
from assay.llm.types import Usage
from assay.settings import Settings
from assay.state import Candidate, Evidence, Review, RunState, Scores


@dataclass
class Script:
    solver_answers: list[str]
    refine_answers: list[str] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)
    rewards: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, float] = field(default_factory=dict)  # answer -> Scores.evidence (absent: None)
    passed: dict[str, bool | None] = field(default_factory=dict)  # answer -> verify's outcome (absent: False)
    tool: str = "program"  # the tool verify's evidence names
    reference: str | None = None
    calls_per_node: int = 1
    tokens_per_node: int = 10
    fail_once: str | None = None  # node name that raises the first time it runs
    calls: Counter[str] = field(default_factory=Counter)

    def _spend(self, name: str) -> Usage:
        self.calls[name] += 1
        if self.fail_once == name:
            self.fail_once = None
            raise RuntimeError(f"{name} crashed")
        return Usage(calls=self.calls_per_node, completion_tokens=self.tokens_per_node)

    async def solve(self, state: RunState, ctx: RunContext) -> dict[str, Any]:
        usage = self._spend("solve")
        cands = [Candidate(id=f"s{i}", text=f"answer {a}", answer=a) for i, a in enumerate(self.solver_answers)]
        return {"candidates": cands, "usage": usage}

    async def score(self, state: RunState, ctx: RunContext) -> dict[str, Any]:
        usage = self._spend("score")
        first = Counter(c.answer for c in state.round_candidates(0))
        scored = [self._scored(c, first[c.answer] / len(self.solver_answers)) for c in state.candidates]
        return {"candidates": scored, "usage": usage}

    def _scored(self, cand: Candidate, agreement: float) -> Candidate:
        answer = cand.answer or ""
        scores = Scores(
            agreement=agreement,
            reward=self.rewards.get(answer, 0.5),
            evidence=self.evidence.get(answer),
            total=self.totals.get(answer, 0.5),
        )
        correct = None if self.reference is None else answer == self.reference
        return cand.model_copy(update={"scores": scores, "correct": correct})

    async def verify(self, state: RunState, ctx: RunContext) -> dict[str, Any]:
        usage = self._spend("verify")
        evidence = [
            Evidence(
                id=f"e{c.id}",
                candidate_id=c.id,
                tool="program",
                input="",
                outcome="ok",
                passed=self.passed.get(c.answer or "", False),
            )
            for c in state.round_candidates()
        ]
        return {"evidence": evidence, "usage": usage}

    async def review(self, state: RunState, ctx: RunContext) -> dict[str, Any]:
        usage = self._spend("review")
        best = state.best or state.candidates[0]
        review = Review(id=f"r{state.round}", candidate_id=best.id, verdict="unsure", critique="check step 2")
        return {"reviews": [review], "usage": usage}

    async def refine(self, state: RunState, ctx: RunContext) -> dict[str, Any]:
        usage = self._spend("refine")
        parent = state.best or state.candidates[0]
        answer = self.refine_answers[(state.round - 1) % len(self.refine_answers)]
        cand = Candidate(id=f"f{state.round}", text=f"revised {answer}", answer=answer, origin="refiner",
                         parent=parent.id, round=state.round)  # fmt: skip
        return {"candidates": [cand], "usage": usage}

    def nodes(self) -> dict[str, Any]:
        return {"solve": self.solve, "score": self.score, "verify": self.verify, "review": self.review,
                "refine": self.refine}  # fmt: skip


def make_ctx(**settings: Any) -> RunContext:
    """A context whose clients are never called by the stubs."""
    return RunContext(settings=Settings(**settings), llm=None)  # type: ignore[arg-type]
