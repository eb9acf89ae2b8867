"""Reward scorers: P(the final answer is right), from a yes/no judge, for whole answers and solution prefixes.

One interface, ``RewardScorer``, with two backends: a ``/classify`` judge server (a second model process,
preferred: a judge that does not share the solver's context, J6) and the generator's own top logprobs of a
one-token yes/no verdict. ``EnsembleScorer`` combines several with conservative ``min`` (E2). Step-level
scores over solution prefixes (a process-reward stand-in) let the reviewer aim at the weakest steps (D1, A6).

The judge sees the task, the candidate's FINAL answer (and code) and the tool evidence, never the solver's
reasoning as an authority (D6), and answers are cut to a fixed length so longer text cannot buy reward (J7).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from assay.context import RunContext
from assay.llm.client import LLMClient
from assay.llm.types import Completion, Usage
from assay.prompts import fill, get_prompt
from assay.state import TaskKind

MAX_ANSWER_CHARS = 1500
MAX_STEPS = 6
NEUTRAL = 0.5  # the judge said neither yes nor no
CHATML = "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"

PROMPTS: dict[str, str] = {
    "outcome": (
        "You are a strict grader. Decide only whether the final answer solves the task correctly. "
        "Length and confident wording are not evidence.\n\n"
        "Task:\n{question}\n\n{answer}{evidence}\n"
        "Is the final answer correct? Reply with one word: yes or no."
    ),
    "step": (
        "You are a strict grader checking a partial solution step by step.\n\n"
        "Task:\n{question}\n\nPartial solution (first {n} of its steps):\n{answer}\n\n"
        "Are all of these steps correct so far? Reply with one word: yes or no."
    ),
}

_YES = frozenset({"yes", "y", "true", "correct"})
_NO = frozenset({"no", "n", "false", "incorrect", "wrong"})
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_CONFIDENCE_LINE = re.compile(r"^\s*confidence\s*[:=]", re.IGNORECASE)


@dataclass(frozen=True)
class JudgeItem:
    """What one judge call sees. ``steps_shown`` > 0 marks a step-level (prefix) item."""

    question: str
    kind: TaskKind
    answer: str | None
    evidence: tuple[str, ...] = ()
    steps_shown: int = 0


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ANSWER_CHARS else text[:MAX_ANSWER_CHARS] + "\n[... cut]"


def render(item: JudgeItem, templates: dict[str, str] | None = None) -> str:
    """The judge prompt for one item (templates default to ``PROMPTS``)."""
    tpl = {**PROMPTS, **(templates or {})}
    answer = _clip(item.answer or "(no answer)")
    if item.steps_shown:
        return fill(tpl["step"], question=item.question, answer=answer, n=item.steps_shown)
    block = f"Code:\n```python\n{answer}\n```\n" if item.kind == "code" else f"Final answer: {answer}\n"
    evidence = "".join(f"- {line[:300]}\n" for line in item.evidence)
    evidence = f"\nTool evidence:\n{evidence}" if evidence else ""
    return fill(tpl["outcome"], question=item.question, answer=block, evidence=evidence)


class RewardScorer(Protocol):
    """Anything that maps judge items to P(correct) in [0, 1], one per item, in order."""

    async def score(self, items: Sequence[JudgeItem]) -> list[float]: ...


def p_yes(top: dict[str, float]) -> float | None:
    """P(yes) / (P(yes) + P(no)) summed over case and spacing variants; None if neither appears."""
    yes = no = 0.0
    for token, logprob in top.items():
        word = token.strip().strip(".,!").lower()
        if word in _YES:
            yes += math.exp(logprob)
        elif word in _NO:
            no += math.exp(logprob)
    return yes / (yes + no) if yes + no > 0 else None


def verdict_probability(completion: Completion) -> float:
    """P(yes) from the first generated token's top logprobs (the sampled token included)."""
    tokens = completion.choices[0].logprobs if completion.choices else None
    if not tokens:
        return NEUTRAL
    first = tokens[0]
    value = p_yes({first.token: first.logprob, **first.top})
    return NEUTRAL if value is None else value


@dataclass
class LogprobJudge:
    """Judge with the generator itself: one chat request per item, max_tokens=1, top_logprobs=20."""

    client: LLMClient
    templates: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)

    async def _one(self, item: JudgeItem) -> float:
        completion = await self.client.chat(
            [{"role": "user", "content": render(item, self.templates)}],
            max_tokens=1,
            temperature=0.0,
            logprobs=True,
            top_logprobs=20,
        )
        self.usage = self.usage + completion.usage
        return verdict_probability(completion)

    async def score(self, items: Sequence[JudgeItem]) -> list[float]:
        return list(await asyncio.gather(*(self._one(item) for item in items)))


@dataclass
class ClassifyJudge:
    """Judge on a ``/classify`` server (yes/no head): the whole batch is one request."""

    client: LLMClient
    templates: dict[str, str] = field(default_factory=dict)
    chat_format: str = CHATML  # /classify scores raw text, so the chat template is applied here
    usage: Usage = field(default_factory=Usage)

    async def score(self, items: Sequence[JudgeItem]) -> list[float]:
        if not items:
            return []
        texts = [self.chat_format.format(prompt=render(item, self.templates)) for item in items]
        with self.client.track() as used:  # the server's prompt tokens, not just one call
            probs = await self.client.classify(texts)
        self.usage = self.usage + Usage(**used.model_dump())
        return [min(1.0, max(0.0, float(p))) for p in probs]


@dataclass
class EnsembleScorer:
    """Several scorers per item, aggregated by ``mean`` or conservative ``min`` (E2)."""

    scorers: Sequence[RewardScorer]
    agg: Literal["mean", "min"] = "min"

    async def score(self, items: Sequence[JudgeItem]) -> list[float]:
        results = await asyncio.gather(*(s.score(items) for s in self.scorers))
        columns = list(zip(*results, strict=True))
        if self.agg == "min":
            return [min(col) for col in columns]
        return [sum(col) / len(col) for col in columns]

    @property
    def usage(self) -> Usage:
        return sum((scorer_usage(s) for s in self.scorers), Usage())


def scorer_usage(scorer: RewardScorer) -> Usage:
    """Calls and tokens a scorer spent (zero for scorers that do not track usage)."""
    usage = getattr(scorer, "usage", None)
    return usage if isinstance(usage, Usage) else Usage()


def make_scorer(ctx: RunContext) -> RewardScorer:
    """The ``/classify`` judge when one is configured, else the generator's logprob judge."""
    templates = {key: get_prompt(ctx, "judge", key, PROMPTS) for key in PROMPTS}
    if ctx.judge is not None:
        return ClassifyJudge(ctx.judge, templates=templates)
    return LogprobJudge(ctx.llm, templates=templates)


def split_steps(text: str, max_steps: int = MAX_STEPS) -> list[str]:
    """Solution steps: non-empty lines (one long line: sentences), merged evenly into at most ``max_steps``."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not _CONFIDENCE_LINE.match(ln)]
    if len(lines) == 1:
        lines = [s.strip() for s in _SENTENCE.split(lines[0]) if s.strip()]
    if len(lines) <= max_steps:
        return lines
    size = math.ceil(len(lines) / max_steps)
    return ["\n".join(lines[i : i + size]) for i in range(0, len(lines), size)]


def step_items(question: str, kind: TaskKind, steps: Sequence[str]) -> list[JudgeItem]:
    """One judge item per solution prefix (steps 1..i), judged in one batch."""
    return [
        JudgeItem(question=question, kind=kind, answer="\n".join(steps[: i + 1]), steps_shown=i + 1)
        for i in range(len(steps))
    ]
