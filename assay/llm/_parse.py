"""Turn OpenAI-compatible JSON (as vLLM sends it) into ``assay.llm.types`` models.

The JSON comes from the server, so shapes are checked: a missing key or a wrong type raises one of
``SHAPE_ERRORS`` (pydantic's ``ValidationError`` is a ``ValueError``), which the client reports as
``MalformedResponse``. Each reply is rearranged into plain dicts and validated ONCE at the top level: pydantic-core
validates nested data in Rust about twice as fast as ``model_construct`` builds it in Python, per token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from assay.errors import MalformedResponse
from assay.llm._failures import malformed
from assay.llm.types import Completion, PromptScore, StreamChunk, Usage

T = TypeVar("T")
SHAPE_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError)


def shape_error(url: str, path: str, exc: Exception) -> MalformedResponse:
    return malformed(url, path, f"unexpected shape ({type(exc).__name__}: {exc})")


def checked(url: str, path: str, parse: Callable[[dict[str, Any]], T], data: dict[str, Any]) -> T:
    """``parse(data)``, with a shape error reported as ``MalformedResponse`` naming the server and endpoint."""
    try:
        return parse(data)
    except SHAPE_ERRORS as exc:
        raise shape_error(url, path, exc) from None


def usage_dict(data: dict[str, Any]) -> dict[str, Any]:
    """``usage`` of one request; absent counts are 0 (pooling endpoints have no completion tokens)."""
    raw = data.get("usage") or {}
    return {
        "calls": 1,
        "prompt_tokens": raw.get("prompt_tokens") or 0,
        "completion_tokens": raw.get("completion_tokens") or 0,
    }


def parse_usage(data: dict[str, Any]) -> Usage:
    return Usage.model_validate(usage_dict(data))


def chat_logprobs(raw: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """Chat format: ``{"content": [{token, logprob, top_logprobs: [{token, logprob}]}]}``."""
    if not raw or raw.get("content") is None:
        return None
    return [
        {
            "token": item["token"],
            "logprob": item["logprob"],
            "top": {alt["token"]: alt["logprob"] for alt in item.get("top_logprobs") or ()},
        }
        for item in raw["content"]
    ]


def text_logprobs(raw: dict[str, Any] | None, *, keep_top: bool = True) -> list[dict[str, Any]] | None:
    """Completions format: parallel ``tokens`` / ``token_logprobs`` / ``top_logprobs`` lists.

    Positions whose logprob is null (the first prompt token under ``echo``) have nothing to score: skipped.
    """
    if not raw:
        return None
    tops = raw.get("top_logprobs") or [None] * len(raw["tokens"])
    return [
        {"token": token, "logprob": logprob, "top": top if keep_top and top else {}}
        for token, logprob, top in zip(raw["tokens"], raw["token_logprobs"], tops, strict=True)
        if logprob is not None
    ]


def _chat_choice(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": item["index"],
        "text": item["message"]["content"] or "",
        "finish_reason": item.get("finish_reason"),
        "logprobs": chat_logprobs(item.get("logprobs")),
    }


def _text_choice(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": item["index"],
        "text": item["text"],
        "finish_reason": item.get("finish_reason"),
        "logprobs": text_logprobs(item.get("logprobs")),
    }


def parse_completion(data: dict[str, Any], *, chat: bool, latency_s: float) -> Completion:
    """A chat or completions response; choices are sorted by index so ``n`` samples keep their order."""
    build = _chat_choice if chat else _text_choice
    choices = [build(item) for item in data["choices"]]
    if not choices:
        raise ValueError("no choices")
    if len(choices) > 1:
        choices.sort(key=lambda c: int(c["index"]))
    return Completion.model_validate(
        {
            "model": data.get("model") or "",
            "choices": choices,
            "usage": usage_dict(data),
            "latency_s": latency_s,
            "raw": data,
        }
    )


def parse_score(data: dict[str, Any], *, keep_top: bool) -> PromptScore:
    """Echoed prompt logprobs of a ``max_tokens: 0`` completions request."""
    tokens = text_logprobs(data["choices"][0]["logprobs"], keep_top=keep_top)
    if tokens is None:
        raise ValueError("no logprobs")
    return PromptScore.model_validate({"tokens": tokens, "usage": usage_dict(data)})


def parse_stream_event(data: dict[str, Any]) -> list[StreamChunk]:
    """One SSE ``data:`` object: a chunk per choice delta, or one usage-only chunk (the final event)."""
    choices = data.get("choices") or []
    if not choices:
        return [StreamChunk.model_validate({"usage": usage_dict(data)})] if data.get("usage") else []
    chunks = []
    for item in choices:
        text = (item.get("delta") or {}).get("content") or ""
        logprobs = chat_logprobs(item.get("logprobs"))
        finish = item.get("finish_reason")
        if text or logprobs or finish:
            chunks.append(
                StreamChunk.model_validate(
                    {"index": item["index"], "delta": text, "logprobs": logprobs, "finish_reason": finish}
                )
            )
    return chunks


def parse_classify(data: dict[str, Any]) -> list[float]:
    """``/classify``: ``probs`` has one element (P(yes), from_2_way_softmax) or two ([no, yes]): take the last."""
    return [float(item["probs"][-1]) for item in data["data"]]


def parse_embeddings(data: dict[str, Any]) -> list[list[float]]:
    items = sorted(data["data"], key=lambda item: int(item["index"]))
    return [[float(x) for x in item["embedding"]] for item in items]


def parse_models(data: dict[str, Any]) -> list[str]:
    return [str(item["id"]) for item in data["data"]]
