"""The typed run state of every assay graph, with the reducers LangGraph uses to merge node updates.

Everything a run decides is data in here: candidates with their scores, tool evidence, reviews and one
``Route`` record per routing decision. ``RunState`` round-trips through JSON exactly, so a run can be
checkpointed, resumed, streamed and printed with ``--json``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assay.llm.types import Usage

# Open vocabularies: recipes add task kinds (``register_kind``), origins and stop reasons of their own. The
# names assay's own recipes use are constants here, so a typo in them is a NameError, not a silent new name.
TaskKind = str
TASK_KINDS: tuple[TaskKind, ...] = ("code", "math", "qa", "open")  # the built-in kinds
_KINDS: set[str] = set(TASK_KINDS)
AgentName = str  # a candidate's origin: the agent (or recipe step) that wrote it
SOLVER, REFINER, AGGREGATE, HUMAN = "solver", "refiner", "aggregate", "human"
Verdict = Literal["correct", "incorrect", "unsure"]
StopReason = str  # why a run ended
EASY, CONFIDENT, NO_IMPROVEMENT, BUDGET, MAX_ROUNDS = "easy", "confident", "no_improvement", "budget", "max_rounds"
STOP_REASONS: tuple[StopReason, ...] = (EASY, CONFIDENT, NO_IMPROVEMENT, BUDGET, MAX_ROUNDS, HUMAN)


def register_kind(kind: str) -> None:
    """Allow a new task kind (give it a verifier with ``assay.kit.register_verifier``)."""
    if not kind.isidentifier():
        raise ValueError(f"task kind {kind!r} must be an identifier")
    _KINDS.add(kind)


def known_kinds() -> tuple[str, ...]:
    return (*TASK_KINDS, *sorted(_KINDS - set(TASK_KINDS)))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Task(_Model):
    """What the user asked. ``tests`` are assert lines or a HumanEval ``check(candidate)`` body."""

    question: str
    kind: TaskKind = "open"
    tests: list[str] = Field(default_factory=list)
    entry_point: str | None = None
    context: str | None = None
    reference: str | None = None  # a known right answer: enables right->wrong / wrong->right flip counts

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in _KINDS:
            raise ValueError(f"unknown task kind {value!r}; known: {', '.join(known_kinds())}")
        return value


class TokenStats(_Model):
    """Summary of a candidate's token logprobs (the raw list is too large to keep in state)."""

    n_tokens: int = 0
    mean_logprob: float | None = None
    min_logprob: float | None = None


class Scores(_Model):
    """Per-signal values in [0, 1]; ``None`` where a signal was not measured."""

    agreement: float | None = None
    confidence: float | None = None
    reward: float | None = None
    evidence: float | None = None
    steps: list[float] = Field(default_factory=list)  # step-level reward, one per solution step
    total: float | None = None  # the combined score used for selection


class Candidate(_Model):
    """One answer in the pool. Revisions point at their parent; nothing is ever removed."""

    id: str
    text: str
    answer: str | None = None
    origin: AgentName = SOLVER
    parent: str | None = None
    round: int = 0
    tokens: TokenStats = Field(default_factory=TokenStats)
    verbal_confidence: float | None = None
    scores: Scores = Field(default_factory=Scores)
    correct: bool | None = None  # set only when the task has a reference answer


class Evidence(_Model):
    """The outcome of one tool call (tests, program run, retrieval) about one candidate."""

    id: str
    candidate_id: str
    tool: str
    input: str
    outcome: str
    passed: bool | None = None  # None: the tool could not decide (e.g. claim neither supported nor contradicted)
    details: dict[str, Any] = Field(default_factory=dict)


class Review(_Model):
    """A critique aimed at specific steps or claims. Calling a candidate wrong needs cited evidence."""

    id: str
    candidate_id: str
    verdict: Verdict
    critique: str
    targets: list[str] = Field(default_factory=list)
    evidence_ids: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _incorrect_needs_evidence(self) -> Review:
        if self.verdict == "incorrect" and not self.evidence_ids:
            self.verdict = "unsure"
        return self


class Route(_Model):
    """One routing decision: where from, where to, on which signal values and thresholds, and why."""

    source: str
    target: str
    round: int = 0
    signals: dict[str, float | None] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict)
    reason: str


class Budget(_Model):
    """Limits for one run. A loop stops when any limit is reached and returns the best so far."""

    max_calls: int = Field(default=40, ge=1)
    max_tokens: int = Field(default=20_000, ge=1)
    max_seconds: float = Field(default=300.0, gt=0)

    def exhausted(self, usage: Usage, elapsed_s: float) -> str | None:
        """Return which limit is reached (``"calls"``, ``"tokens"``, ``"seconds"``) or None."""
        if usage.calls >= self.max_calls:
            return "calls"
        if usage.total_tokens >= self.max_tokens:
            return "tokens"
        if elapsed_s >= self.max_seconds:
            return "seconds"
        return None


class Flips(_Model):
    """How revisions changed correctness (A3): counted only when the task has a reference answer."""

    right_to_wrong: int = 0
    wrong_to_right: int = 0
    right_to_right: int = 0
    wrong_to_wrong: int = 0

    def __add__(self, other: Flips) -> Flips:
        return Flips(**{k: getattr(self, k) + getattr(other, k) for k in Flips.model_fields})


def merge_by_id(left: list[Any], right: list[Any]) -> list[Any]:
    """Reducer for pools keyed by ``id``: new items are appended, items with a known id replace the old one."""
    merged = {item.id: item for item in left}
    for item in right:
        merged[item.id] = item
    return list(merged.values())


def add_usage(left: Usage, right: Usage) -> Usage:
    return left + right


def add_flips(left: Flips, right: Flips) -> Flips:
    return left + right


def merge_extra(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Reducer for recipe-specific state: keys are replaced one by one; a ``None`` value deletes the key.

    Parallel branches (``Send``) that write different keys all keep theirs.
    """
    merged = {**left, **right}
    return {k: v for k, v in merged.items() if v is not None}


class RunState(_Model):
    """The state every graph reads and updates. Nodes return partial dicts; reducers merge them."""

    task: Task
    budget: Budget = Field(default_factory=Budget)
    candidates: Annotated[list[Candidate], merge_by_id] = Field(default_factory=list)
    evidence: Annotated[list[Evidence], merge_by_id] = Field(default_factory=list)
    reviews: Annotated[list[Review], merge_by_id] = Field(default_factory=list)
    routes: Annotated[list[Route], operator.add] = Field(default_factory=list)
    usage: Annotated[Usage, add_usage] = Field(default_factory=Usage)
    elapsed_s: Annotated[float, operator.add] = 0.0
    flips: Annotated[Flips, add_flips] = Field(default_factory=Flips)
    round: int = 0
    no_improve: int = 0
    best_id: str | None = None
    answer: str | None = None
    stopped_by: StopReason | None = None
    notes: Annotated[list[str], operator.add] = Field(default_factory=list)  # recorded fallbacks, warnings
    # Recipe-specific state (beams, debate transcripts): JSON values or allow-listed models, so it checkpoints.
    extra: Annotated[dict[str, Any], merge_extra] = Field(default_factory=dict)

    def candidate(self, candidate_id: str) -> Candidate:
        for cand in self.candidates:
            if cand.id == candidate_id:
                return cand
        raise KeyError(candidate_id)

    @property
    def best(self) -> Candidate | None:
        return self.candidate(self.best_id) if self.best_id else None

    def round_candidates(self, round_: int | None = None) -> list[Candidate]:
        wanted = self.round if round_ is None else round_
        return [c for c in self.candidates if c.round == wanted]

    def exhausted(self) -> str | None:
        return self.budget.exhausted(self.usage, self.elapsed_s)
