"""Request bodies for the OpenAI-compatible endpoints, and base-URL normalisation.

Chat and completions share every sampling option; only the logprobs spelling differs
(chat: ``logprobs: true, top_logprobs: k``; completions: ``logprobs: k``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.errors import SettingsError
from assay.llm.types import Message

MessageLike = Message | dict[str, str]


def normalise_base_urls(base_urls: str | Sequence[str]) -> list[str]:
    """Server roots without a trailing ``/`` or ``/v1``: both ``http://h:8000`` and ``http://h:8000/v1/`` work.

    A single string may list replicas separated by commas (as ``ASSAY_BASE_URL`` does).
    """
    raw = base_urls.split(",") if isinstance(base_urls, str) else list(base_urls)
    roots = []
    for url in (u.strip() for u in raw):
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"{url!r} is not an http(s) URL of a model server")
        root = url.rstrip("/")
        roots.append(root[: -len("/v1")] if root.endswith("/v1") else root)
    if not roots:
        raise SettingsError("no model server URL given: set ASSAY_BASE_URL or run `assay up`")
    return roots


def message_dicts(messages: Sequence[MessageLike]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} if isinstance(m, Message) else m for m in messages]


def sampling_body(
    *,
    chat: bool,
    model: str,
    n: int = 1,
    temperature: float = 0.0,
    top_p: float | None = None,
    max_tokens: int = 256,
    seed: int | None = None,
    stop: Sequence[str] | None = None,
    logprobs: bool = False,
    top_logprobs: int = 0,
    response_format: dict[str, Any] | None = None,
    structured_outputs: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body minus ``messages``/``prompt``. ``structured_outputs`` is vLLM's constrained decoding field
    (the older ``guided_*`` fields are silently ignored by vLLM >= 0.32, so they are not used)."""
    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "temperature": temperature}
    if n != 1:
        body["n"] = n
    if top_p is not None:
        body["top_p"] = top_p
    if seed is not None:
        body["seed"] = seed
    if stop:
        body["stop"] = list(stop)
    if logprobs or top_logprobs:
        if chat:
            body["logprobs"] = True
            if top_logprobs:
                body["top_logprobs"] = top_logprobs
        else:
            body["logprobs"] = top_logprobs
    if response_format is not None:
        body["response_format"] = response_format
    if structured_outputs is not None:
        body["structured_outputs"] = structured_outputs
    if extra:
        body.update(extra)
    return body
