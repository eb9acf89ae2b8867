"""Reply bodies of ``assay.testing.FakeLLM``, shaped exactly like vLLM's OpenAI-compatible JSON.

Tokens are whitespace-separated words (each keeps its leading whitespace, so deltas join back to the text).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\s*\S+")
EMBED_DIM = 64


def tokens(text: str) -> list[str]:
    return _WORD.findall(text)


@dataclass(frozen=True)
class Sample:
    """One scripted choice: its text, the logprob of each of its tokens, the alternatives to report."""

    text: str
    logprob: float
    top: Mapping[str, float] | None
    finish_reason: str


def usage(prompt: str, samples: Sequence[Sample] = ()) -> dict[str, int]:
    """Whitespace-word counts; pooling replies (no samples) carry ``completion_tokens: 0`` as vLLM's do."""
    prompt_tokens = len(prompt.split())
    completion = sum(len(s.text.split()) for s in samples)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}


def _reply(id_: str, kind: str, model: str, choices: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any]:
    """The envelope every chat/completions reply shares."""
    return {"id": id_, "object": kind, "created": 0, "model": model, "choices": choices, "usage": counts}


def _alternatives(token: str, logprob: float, top: Mapping[str, float] | None, k: int) -> dict[str, float]:
    return dict(list(top.items())[:k]) if top else {token: logprob}


def chat_logprobs(sample: Sample, toks: Sequence[str], k: int) -> dict[str, Any]:
    def entry(token: str) -> dict[str, Any]:
        alternatives = _alternatives(token, sample.logprob, sample.top, k) if k else {}
        top = [{"token": a, "logprob": lp} for a, lp in alternatives.items()]
        return {"token": token, "logprob": sample.logprob, "bytes": list(token.encode()), "top_logprobs": top}

    return {"content": [entry(t) for t in toks]}


def text_logprobs(toks: Sequence[str], logprob: float, top: Mapping[str, float] | None, k: int) -> dict[str, Any]:
    offsets, at = [], 0
    for t in toks:
        offsets.append(at)
        at += len(t)
    return {
        "tokens": list(toks),
        "token_logprobs": [logprob] * len(toks),
        "top_logprobs": [_alternatives(t, logprob, top, k) for t in toks],
        "text_offset": offsets,
    }


def chat_reply(model: str, prompt: str, samples: Sequence[Sample], body: Mapping[str, Any]) -> dict[str, Any]:
    k = int(body.get("top_logprobs") or 0)
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": s.text},
            "logprobs": chat_logprobs(s, tokens(s.text), k) if body.get("logprobs") else None,
            "finish_reason": s.finish_reason,
        }
        for i, s in enumerate(samples)
    ]
    return _reply("chatcmpl-fake", "chat.completion", model, choices, usage(prompt, samples))


def text_reply(model: str, prompt: str, samples: Sequence[Sample], body: Mapping[str, Any]) -> dict[str, Any]:
    k = body.get("logprobs")
    choices = [
        {
            "index": i,
            "text": s.text,
            "logprobs": text_logprobs(tokens(s.text), s.logprob, s.top, int(k)) if k is not None else None,
            "finish_reason": s.finish_reason,
        }
        for i, s in enumerate(samples)
    ]
    return _reply("cmpl-fake", "text_completion", model, choices, usage(prompt, samples))


def score_reply(model: str, prompt: str, sample: Sample, k: int) -> dict[str, Any]:
    """``echo`` with ``max_tokens: 0``: the prompt's own tokens, the first without a logprob (as vLLM does)."""
    logprobs = text_logprobs(tokens(prompt), sample.logprob, sample.top, k)
    if logprobs["tokens"]:
        logprobs["token_logprobs"][0] = None
        logprobs["top_logprobs"][0] = None
    choice = {"index": 0, "text": prompt, "logprobs": logprobs, "finish_reason": "length"}
    return _reply("cmpl-fake", "text_completion", model, [choice], usage(prompt))


def _event(data: Mapping[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"


def chat_sse(model: str, prompt: str, samples: Sequence[Sample], body: Mapping[str, Any]) -> bytes:
    """A streamed chat reply: a role chunk, one chunk per token, a finish chunk per choice, then usage."""
    head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model, "usage": None}
    k = int(body.get("top_logprobs") or 0)
    events = []
    for i, s in enumerate(samples):
        events.append(_event({**head, "choices": [{"index": i, "delta": {"role": "assistant", "content": ""}}]}))
        for t in tokens(s.text):
            lp = chat_logprobs(s, [t], k) if body.get("logprobs") else None
            choice = {"index": i, "delta": {"content": t}, "logprobs": lp, "finish_reason": None}
            events.append(_event({**head, "choices": [choice]}))
        events.append(_event({**head, "choices": [{"index": i, "delta": {}, "finish_reason": s.finish_reason}]}))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(_event({**head, "choices": [], "usage": usage(prompt, samples)}))
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


def classify_reply(model: str, texts: Sequence[str], probs: Sequence[float]) -> dict[str, Any]:
    data = [
        {"index": i, "label": "yes" if p >= 0.5 else "no", "probs": [p], "num_classes": 1} for i, p in enumerate(probs)
    ]
    return {"id": "classify-fake", "object": "list", "created": 0, "model": model, "data": data,
            "usage": usage(" ".join(texts))}  # fmt: skip


def hash_embedding(text: str) -> list[float]:
    """Deterministic bag-of-words vector: texts sharing words have a positive cosine similarity."""
    vec = [0.0] * EMBED_DIM
    for word in text.lower().split():
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vec[int.from_bytes(digest, "little") % EMBED_DIM] += 1.0
    norm = sum(x * x for x in vec) ** 0.5 or 1.0
    return [x / norm for x in vec]


def embed_reply(model: str, texts: Sequence[str], vectors: Sequence[list[float]]) -> dict[str, Any]:
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return {"object": "list", "model": model, "data": data, "usage": usage(" ".join(texts))}


def models_reply(names: Sequence[str]) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "assay"} for name in names]}


def error_body(status: int, message: str, kind: str = "BadRequestError") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": status}}
