"""Result types shared by the tools (sandbox, test verifier, program verifier, search, fact check)."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

Isolation = Literal["bwrap", "unshare", "none"]
ClaimVerdict = Literal["supported", "contradicted", "unknown"]


class ExecResult(BaseModel):
    """Outcome of one sandboxed program run."""

    ok: bool
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    killed_reason: str | None = None  # "timeout", "cpu", "memory", "output", "signal N", ...
    duration_s: float = 0.0
    isolation: Isolation = "none"
    truncated: bool = False


class TestOutcome(BaseModel):
    """One test (assert line or check(candidate)) against one candidate."""

    test: str
    passed: bool
    error: str | None = None  # the failing assertion / exception line
    traceback: str | None = None  # trimmed


class TestReport(BaseModel):
    """All tests for one candidate. ``error`` is set when nothing could run (syntax error, timeout)."""

    outcomes: list[TestOutcome] = Field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


class ProgramCheck(BaseModel):
    """Math verifier: the value a program computed, and whether it matches the claimed answer."""

    value: str | None
    matches: bool | None  # None: no claimed answer or the program failed
    stdout: str = ""
    error: str | None = None


class Passage(BaseModel):
    """One retrieved passage. ``source`` is kept for attribution (e.g. the Wikipedia title, CC BY-SA)."""

    id: str
    title: str
    text: str
    score: float
    source: str = ""


class Retriever(Protocol):
    """Anything that finds passages for a query (BM25 over a corpus, a folder, an HTTP search API)."""

    async def search(self, query: str, k: int = 5) -> list[Passage]: ...


class ClaimCheck(BaseModel):
    """CRITIC-style (B1) verdict on one claim, with the quoted evidence it rests on."""

    claim: str
    verdict: ClaimVerdict
    passage_ids: list[str] = Field(default_factory=list)
    quote: str = ""
