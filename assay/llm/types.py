"""Typed results of the OpenAI-compatible client: texts, token logprobs and usage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: str


class TokenLogprob(BaseModel):
    """One sampled (or scored) token with its logprob and, if asked for, the top alternatives."""

    token: str
    logprob: float
    top: dict[str, float] = Field(default_factory=dict)


class Usage(BaseModel):
    """Calls and tokens spent; adds up across calls and runs."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # The prompt once per generated sequence (prompt x n), as vLLM's ``vllm:prompt_tokens_total`` counts it;
    # ``prompt_tokens`` counts an ``n=k`` request's prompt once, as the response's usage says.
    sequence_prompt_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            sequence_prompt_tokens=self.sequence_prompt_tokens + other.sequence_prompt_tokens,
        )


class Choice(BaseModel):
    """One of the ``n`` samples of a chat or completion request."""

    index: int
    text: str
    finish_reason: str | None = None
    logprobs: list[TokenLogprob] | None = None


class Completion(BaseModel):
    """The result of a chat or completions request (``n`` choices share one usage record)."""

    model: str
    choices: list[Choice]
    usage: Usage
    latency_s: float = 0.0
    raw: dict[str, Any] | None = Field(default=None, exclude=True, repr=False)

    @property
    def text(self) -> str:
        """The first choice's text (the common ``n=1`` case)."""
        return self.choices[0].text


class PromptScore(BaseModel):
    """Logprobs of a given text under the model (completions ``echo`` with ``max_tokens: 0``)."""

    tokens: list[TokenLogprob]
    usage: Usage

    @property
    def total_logprob(self) -> float:
        return sum(t.logprob for t in self.tokens)


class StreamChunk(BaseModel):
    """One server-sent event of a streamed chat request."""

    index: int = 0
    delta: str = ""
    logprobs: list[TokenLogprob] | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
