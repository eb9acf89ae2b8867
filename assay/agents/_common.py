"""Steps every agent shares: prompt overrides, usage deltas, candidate ids and construction, and a
structured-output call with one retry and a clean ``None`` fallback."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from assay import streaming
from assay.agents._extract import extract_answer, extract_confidence
from assay.context import RunContext
from assay.errors import LLMHTTPError
from assay.llm.types import Choice, Completion, Message, Usage
from assay.prompts import fill as fill  # re-exported for the agents
from assay.prompts import get_prompt as get_prompt
from assay.state import AgentName, Candidate, RunState, TaskKind, TokenStats

T = TypeVar("T", bound=BaseModel)


def usage_of(completions: Iterable[Completion]) -> Usage:
    """The usage delta of the calls a node made (returned as ``"usage"``; the state reducer adds it)."""
    return sum((c.usage for c in completions), Usage())


MIN_SAMPLE_TOKENS = 32


def sample_plan(state: RunState, n: int, max_tokens: int) -> tuple[int, int]:
    """``(n, max_tokens)`` for one sampling request, bounded by the tokens the budget has left: fewer samples
    first, then shorter ones, so a node never spends far past the budget (at least one short sample)."""
    left = state.budget.max_tokens - state.usage.total_tokens
    count = max(1, min(n, left // max(max_tokens, 1)))
    length = max(MIN_SAMPLE_TOKENS, min(max_tokens, left // count))
    return count, length


def new_ids(state: RunState, origin: str, count: int) -> list[str]:
    """``r{round}-{origin}-{i}`` ids that no candidate in the pool uses yet."""
    taken = {c.id for c in state.candidates}
    ids: list[str] = []
    i = 0
    while len(ids) < count:
        cid = f"r{state.round}-{origin}-{i}"
        if cid not in taken:
            ids.append(cid)
        i += 1
    return ids


def token_stats(choice: Choice) -> TokenStats:
    """Count, mean and min of a sample's token logprobs (empty stats when logprobs were not returned)."""
    values = [t.logprob for t in choice.logprobs or [] if t.logprob > float("-inf")]
    if not values:
        return TokenStats()
    return TokenStats(n_tokens=len(values), mean_logprob=sum(values) / len(values), min_logprob=min(values))


def candidates_from(
    completion: Completion,
    state: RunState,
    *,
    origin: AgentName,
    kind: TaskKind,
    parent: str | None = None,
) -> list[Candidate]:
    """One candidate per sample, with its answer, token stats and verbalised confidence (A2)."""
    ids = new_ids(state, origin, len(completion.choices))
    return [
        Candidate(
            id=cid,
            text=choice.text,
            answer=extract_answer(choice.text, kind, state.task.question),
            origin=origin,
            parent=parent,
            round=state.round,
            tokens=token_stats(choice),
            verbal_confidence=extract_confidence(choice.text),
        )
        for cid, choice in zip(ids, completion.choices, strict=True)
    ]


def messages(system: str, user: str) -> list[Message]:
    return [Message(role="system", content=system), Message(role="user", content=user)]


def json_schema_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``response_format`` for a bounded JSON schema (vLLM enforces it during decoding)."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def parse_json(text: str, model: type[T]) -> T | None:
    """``model`` from the first JSON object in ``text``; None when it is missing or invalid."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return model.model_validate(json.loads(text[start : end + 1]))
    except (ValueError, ValidationError):
        return None


async def structured_call(
    ctx: RunContext,
    prompt: Sequence[Message],
    model: type[T],
    schema: dict[str, Any],
    *,
    name: str,
    max_tokens: int = 400,
) -> tuple[T | None, list[Completion]]:
    """Ask for JSON under ``schema``; on unparseable output retry once with the schema restated.

    Returns the parsed object (None after two failures, or when the server rejects the schema with a 400:
    the caller falls back) and the completions made.
    """
    made: list[Completion] = []
    convo = list(prompt)
    for attempt in range(2):
        try:
            completion = await streaming.chat(
                ctx.llm,
                convo,
                agent=name,
                temperature=0.0,
                max_tokens=max_tokens,
                seed=attempt,
                response_format=json_schema_format(name, schema),
            )
        except LLMHTTPError as exc:
            if exc.status_code not in (400, 422):  # only "this server rejects the schema" falls back
                raise
            return None, made
        made.append(completion)
        parsed = parse_json(completion.text, model)
        if parsed is not None:
            return parsed, made
        restate = f"Reply with ONE JSON object only, matching this JSON schema:\n{json.dumps(schema)}"
        convo = [
            *prompt,
            Message(role="assistant", content=completion.text[:500]),
            Message(role="user", content=restate),
        ]
    return None, made
