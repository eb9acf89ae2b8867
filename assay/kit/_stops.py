"""Stop rules as small composable objects. Each names its stop reason, explains itself in words and lists the
thresholds it reads, so the ``Route`` a router records carries everything the decision was made on.

    stops = Stops(BudgetLimit(), Confident(), Patience(), MaxRounds())   # adaptive's rules, in this order
    stops | Verified()                                                  # one more rule, appended

A threshold left ``None`` is read from the settings at decision time (``tau_confident``, ``patience``,
``max_rounds``). ``max_rounds`` is only the safety net: every loop also stops on a signal or the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assay.settings import Settings
from assay.signals.confidence import answer_key
from assay.signals.scoring import evidence_status
from assay.signals.select import best_candidate, total
from assay.state import BUDGET, CONFIDENT, MAX_ROUNDS, NO_IMPROVEMENT, RunState

DECISIVE_KINDS = frozenset({"code", "math"})  # kinds whose built-in tools decide: tests, re-run arithmetic


@dataclass(frozen=True)
class Progress:
    """What stop rules look at after a scoring pass."""

    round: int
    best_total: float  # best total of the whole pool (-1: nothing scored)
    no_improve: int  # rounds in a row that did not beat the earlier best


class StopRule(Protocol):
    @property
    def reason(self) -> str:
        """The ``stopped_by`` value this rule sets."""
        ...

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        """The stop in words, or None to go on."""
        ...

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]: ...


@dataclass(frozen=True)
class Stopped:
    reason: str
    text: str


@dataclass(frozen=True)
class BudgetLimit:
    reason: str = BUDGET

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        limit = state.exhausted()
        return f"stop: {limit} budget exhausted" if limit else None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        b = state.budget
        return {"max_calls": b.max_calls, "max_tokens": b.max_tokens, "max_seconds": b.max_seconds}


@dataclass(frozen=True)
class Confident:
    """The best total reaches ``tau`` (from round ``min_round`` on; ``latest``: this round's best only)."""

    tau: float | None = None
    latest: bool = False
    min_round: int = 0
    reason: str = CONFIDENT

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        tau = settings.tau_confident if self.tau is None else self.tau
        pool = state.round_candidates() if self.latest else state.candidates
        best = max((total(c) for c in pool), default=-1.0)
        if state.round >= self.min_round and best >= tau:
            return f"stop: confident, best total {best:.2f} >= {tau}"
        return None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"tau_confident": settings.tau_confident if self.tau is None else self.tau}


@dataclass(frozen=True)
class Patience:
    rounds: int | None = None
    reason: str = NO_IMPROVEMENT

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        m = settings.patience if self.rounds is None else self.rounds
        return f"stop: no improvement for {p.no_improve} round(s) (patience {m})" if p.no_improve >= m else None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"patience": settings.patience if self.rounds is None else self.rounds}


@dataclass(frozen=True)
class MaxRounds:
    rounds: int | None = None
    reason: str = MAX_ROUNDS

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        n = self.limit(settings)
        return f"stop: max_rounds {n} reached" if state.round >= n else None

    def limit(self, settings: Settings) -> int:
        return settings.max_rounds if self.rounds is None else min(self.rounds, settings.max_rounds)

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"max_rounds": self.limit(settings)}


@dataclass(frozen=True)
class Verified:
    """A tool confirmed a candidate of the pool (all of its decided evidence passed): CRITIC's stop (B1)."""

    reason: str = "verified"

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        ok = [c.id for c in state.candidates if c.scores.evidence is not None and c.scores.evidence >= 1.0]
        return f"stop: tools confirm {ok[0]}" if ok else None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"evidence": 1.0}


@dataclass(frozen=True)
class Unrefuted:
    """A candidate of this round has no failing tool evidence: CRITIC revises only on evidence (B1)."""

    reason: str = "unrefuted"

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        failed = {e.candidate_id for e in state.evidence if e.passed is False}
        clean = [c.id for c in state.round_candidates() if c.id not in failed]
        return f"stop: no tool evidence against {clean[0]}" if clean else None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {}


@dataclass(frozen=True)
class Unguided:
    """For kinds whose tools are decisive (``kinds``): stop once the best candidate has no decisive evidence
    against it. A revision then has nothing to act on but self-critique, which flips right answers to wrong
    (A3, A4); CRITIC revises on tool evidence only (B1). While every candidate is refuted (failing tests, a
    wrong stated calculation), the loop goes on with that evidence in the reviewer's and refiner's prompts."""

    kinds: frozenset[str] = DECISIVE_KINDS
    reason: str = "unguided"

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        best = best_candidate(state.candidates)
        if state.task.kind not in self.kinds or best is None:
            return None
        status = evidence_status(best, state.evidence, state.task.kind, state.task.question)
        if status in ("refuted", "non_answer"):
            return None
        return f"stop: no tool refutes the best candidate {best.id} ({status}): a revision would be unguided"

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {}


@dataclass(frozen=True)
class ReadOnce:
    """For QA (``kinds``): stop after ``rounds`` revision round(s). The first QA revision is the one with new
    information, an answer read from the passages retrieved for the question (the reader, B1); later rounds
    can only revise closed-book, judged by a fact check of the same small model. Measured on SQuAD/60–79
    (qwen2.5-coder-0.5b): no run got a right answer from round 2 or 3 that round 1 did not have, and in two
    runs a later revision was returned over a right reading (A3, A4)."""

    kinds: frozenset[str] = frozenset({"qa"})
    rounds: int = 1
    reason: str = "read"

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        if state.task.kind not in self.kinds or state.round < self.rounds:
            return None
        return f"stop: {state.round} revision round(s) read the retrieved passages; more would be closed-book"

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"read_rounds": self.rounds}


@dataclass(frozen=True)
class Consensus:
    """This round's answers agree (share of the largest group >= ``share``): debate's stop (D2)."""

    share: float = 1.0
    reason: str = "consensus"

    def check(self, state: RunState, p: Progress, settings: Settings) -> str | None:
        keys = [answer_key(c, state.task.kind, state.evidence) for c in state.round_candidates()]
        if not keys or None in keys:
            return None
        top = max(keys.count(k) for k in set(keys)) / len(keys)
        return f"stop: {top:.0%} of this round's answers agree" if top >= self.share else None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"consensus_share": self.share}


class Stops:
    """Rules checked in order; the first that fires stops the loop."""

    def __init__(self, *rules: StopRule) -> None:
        self.rules = rules

    def __or__(self, rule: StopRule) -> Stops:
        return Stops(*self.rules, rule)

    def first(self, state: RunState, p: Progress, settings: Settings) -> Stopped | None:
        for rule in self.rules:
            if (text := rule.check(state, p, settings)) is not None:
                return Stopped(rule.reason, text)
        return None

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        out: dict[str, float] = {}
        for rule in self.rules:
            out.update(rule.thresholds(state, settings))
        return out


DEFAULT_STOPS = Stops(BudgetLimit(), Confident(), Patience(), MaxRounds())
