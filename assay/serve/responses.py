"""OpenAI-shaped bodies: the chat completion, its stream chunks, the model list, and the ``assay`` run record.

``usage`` sums every internal call of the run (solver samples, judge scoring, reviews, refinements): it is what
the run cost, not only what the final answer's tokens were.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from pydantic_core import to_jsonable_python

from assay.llm.types import Usage
from assay.state import RunState


def run_record(state: RunState, graph: str, thread_id: str) -> dict[str, Any]:
    """The ``assay`` field: why this answer (routes, scores, stop reason), and the thread to resume."""
    best = state.best
    record = {
        "graph": graph,
        "thread_id": thread_id,
        "stopped_by": state.stopped_by,
        "answer": state.answer,
        "best_id": state.best_id,
        "text": best.text if best else None,
        "scores": best.scores if best else None,
        "candidates": [
            {"id": c.id, "origin": c.origin, "round": c.round, "answer": c.answer, "scores": c.scores}
            for c in state.candidates
        ],
        "routes": state.routes,
        "calls": state.usage.calls,
        "elapsed_s": round(state.elapsed_s, 4),
        "notes": state.notes,
    }
    jsonable: dict[str, Any] = to_jsonable_python(record)
    return jsonable


def reply_text(state: RunState) -> str:
    """The message content: the selected candidate's whole reply (its extracted answer is ``assay.answer``)."""
    best = state.best
    return best.text if best is not None else state.answer or ""


def usage_body(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def completion_body(model: str, states: Sequence[tuple[RunState, str, str]]) -> dict[str, Any]:
    """``chat.completion`` with one choice per run; ``assay`` describes choice 0 (``assay.choices``: all)."""
    records = [run_record(state, graph, tid) for state, graph, tid in states]
    choices = [
        {"index": i, "message": {"role": "assistant", "content": reply_text(state)}, "finish_reason": "stop"}
        for i, (state, _, _) in enumerate(states)
    ]
    total = sum((state.usage for state, _, _ in states), Usage())
    assay = {**records[0], "choices": records} if len(records) > 1 else records[0]
    return {"id": f"chatcmpl-{records[0]['thread_id']}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": choices, "usage": usage_body(total), "assay": assay}  # fmt: skip


def models_body(names: Sequence[str], descriptions: Sequence[str]) -> dict[str, Any]:
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "assay", "description": text}
        for name, text in zip(names, descriptions, strict=True)
    ]
    return {"object": "list", "data": data}


class Chunks:
    """``chat.completion.chunk`` SSE events of one streamed run (one id, one model, one created time)."""

    def __init__(self, model: str, thread_id: str) -> None:
        self.head = {"id": f"chatcmpl-{thread_id}", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": model}  # fmt: skip

    def delta(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return event({**self.head, "choices": [choice], **extra})

    def usage(self, usage: Usage) -> str:
        return event({**self.head, "choices": [], "usage": usage_body(usage)})


def event(data: Any) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def comment(kind: str, data: Any) -> str:
    """An SSE comment (``: ...``): clients and the ``openai`` SDK skip it; curl and custom clients see progress."""
    return f": assay {kind} {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


DONE = "data: [DONE]\n\n"
