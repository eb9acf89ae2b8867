"""Turn OpenAI-compatible JSON (as vLLM sends it) into ``assay.llm.types`` models.

The JSON comes from the server, so shapes are checked by access: a missing key or a wrong type raises
``KeyError``/``TypeError``/..., which the client reports as ``MalformedResponse``. Models are built with
``model_construct`` because this runs on every call and the values are already plain JSON scalars.
"""

from __future__ import annotations

from typing import Any

from assay.llm.types import Choice, Completion, PromptScore, StreamChunk, TokenLogprob, Usage

SHAPE_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError)

_token = TokenLogprob.model_construct
_choice = Choice.model_construct


def parse_usage(data: dict[str, Any]) -> Usage:
    """``usage`` of one request; absent counts are 0 (pooling endpoints have no completion tokens)."""
    raw = data.get("usage") or {}
    return Usage.model_construct(
        calls=1,
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
    )


def chat_logprobs(raw: dict[str, Any] | None) -> list[TokenLogprob] | None:
    """Chat format: ``{"content": [{token, logprob, top_logprobs: [{token, logprob}]}]}``."""
    if not raw or raw.get("content") is None:
        return None
    return [
        _token(
            token=item["token"],
            logprob=float(item["logprob"]),
            top={alt["token"]: float(alt["logprob"]) for alt in item.get("top_logprobs") or ()},
        )
        for item in raw["content"]
    ]


def text_logprobs(raw: dict[str, Any] | None, *, keep_top: bool = True) -> list[TokenLogprob] | None:
    """Completions format: parallel ``tokens`` / ``token_logprobs`` / ``top_logprobs`` lists.

    Positions whose logprob is null (the first prompt token under ``echo``) have nothing to score: skipped.
    """
    if not raw:
        return None
    tops = raw.get("top_logprobs") or [None] * len(raw["tokens"])
    return [
        _token(
            token=token,
            logprob=float(logprob),
            top={k: float(v) for k, v in top.items()} if keep_top and top else {},
        )
        for token, logprob, top in zip(raw["tokens"], raw["token_logprobs"], tops, strict=True)
        if logprob is not None
    ]


def _chat_choice(item: dict[str, Any]) -> Choice:
    return _choice(
        index=item["index"],
        text=item["message"]["content"] or "",
        finish_reason=item.get("finish_reason"),
        logprobs=chat_logprobs(item.get("logprobs")),
    )


def _text_choice(item: dict[str, Any]) -> Choice:
    return _choice(
        index=item["index"],
        text=item["text"],
        finish_reason=item.get("finish_reason"),
        logprobs=text_logprobs(item.get("logprobs")),
    )


def parse_completion(data: dict[str, Any], *, chat: bool, usage: Usage, latency_s: float) -> Completion:
    """A chat or completions response; choices are sorted by index so ``n`` samples keep their order."""
    build = _chat_choice if chat else _text_choice
    choices = [build(item) for item in data["choices"]]
    if not choices:
        raise ValueError("no choices")
    if len(choices) > 1:
        choices.sort(key=lambda c: c.index)
    return Completion.model_construct(
        model=str(data.get("model", "")), choices=choices, usage=usage, latency_s=latency_s, raw=data
    )


def parse_score(data: dict[str, Any], *, usage: Usage, keep_top: bool) -> PromptScore:
    """Echoed prompt logprobs of a ``max_tokens: 0`` completions request."""
    tokens = text_logprobs(data["choices"][0]["logprobs"], keep_top=keep_top)
    if tokens is None:
        raise ValueError("no logprobs")
    return PromptScore.model_construct(tokens=tokens, usage=usage)


def parse_stream_event(data: dict[str, Any]) -> list[StreamChunk]:
    """One SSE ``data:`` object: a chunk per choice delta, or one usage-only chunk (the final event)."""
    choices = data.get("choices") or []
    if not choices:
        usage = data.get("usage")
        return [StreamChunk.model_construct(index=0, delta="", usage=parse_usage(data))] if usage else []
    chunks = []
    for item in choices:
        delta = item.get("delta") or {}
        text = delta.get("content") or ""
        logprobs = chat_logprobs(item.get("logprobs"))
        finish = item.get("finish_reason")
        if text or logprobs or finish:
            chunks.append(
                StreamChunk.model_construct(
                    index=item["index"], delta=text, logprobs=logprobs, finish_reason=finish, usage=None
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
