"""Request schema of ``/v1/chat/completions`` and its translation into a ``Task``, a ``Budget`` and ``Settings``.

OpenAI fields are honoured (``temperature`` and ``max_tokens`` become the agents' sampling settings, ``n``
runs ``n`` independent graph runs) or rejected with a 400 naming the field; nothing is silently dropped.
assay's own options travel in one extra body object, ``assay`` (``extra_body={"assay": {...}}`` in the SDK).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from assay.agents._common import MIN_SAMPLE_TOKENS
from assay.errors import InputError
from assay.settings import Settings
from assay.state import Budget, Task, TaskKind

# Graph settings a request may change. Endpoints, keys and paths stay the server's.
TUNABLE = frozenset(
    {"samples", "max_tokens", "temperature", "kind_temperature", "temperature_step", "tau_agreement", "tau_reward",
     "tau_confident", "patience", "max_rounds", "greedy_margin"}
)  # fmt: skip
MAX_N = 8


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class Message(_Strict):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class StreamOptions(_Strict):
    include_usage: bool = False


class AssayOptions(_Strict):
    """The ``assay`` extra body field: per-request budget, graph settings and task details."""

    budget: dict[str, float] = Field(default_factory=dict)  # max_calls, max_tokens, max_seconds
    settings: dict[str, Any] = Field(default_factory=dict)  # any of TUNABLE
    thread_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: TaskKind | None = None
    tests: list[str] = Field(default_factory=list)
    entry_point: str | None = None
    reference: str | None = None
    progress: bool = True  # stream progress as SSE comments


class ChatRequest(_Strict):
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int = Field(default=1, ge=1, le=MAX_N)
    user: str | None = None
    assay: AssayOptions = Field(default_factory=AssayOptions)

    @field_validator("messages")
    @classmethod
    def _has_user_message(cls, messages: list[Message]) -> list[Message]:
        if not any(m.role == "user" and m.text.strip() for m in messages):
            raise ValueError("messages must contain a non-empty user message")
        return messages


def parse_request(body: Any) -> ChatRequest:
    """Validate a JSON body; the first problem becomes one ``InputError`` line naming the field."""
    if not isinstance(body, dict):
        raise InputError("the request body must be a JSON object")
    try:
        request = ChatRequest.model_validate(body)
    except ValidationError as exc:
        raise InputError(_first_error(exc)) from None
    if request.stream and request.n > 1:
        raise InputError("n > 1 is not supported with stream: true (run n requests, or stream one)")
    if request.n > 1 and request.assay.thread_id:
        raise InputError("n > 1 runs n threads: leave assay.thread_id unset")
    return request


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    if err["type"] == "extra_forbidden":
        return f"unsupported parameter {where!r}: assay serve rejects what it cannot honour"
    if err["type"] == "missing":
        return f"missing required parameter {where!r}"
    return f"invalid parameter {where!r}: {err['msg']}"


def make_task(request: ChatRequest) -> Task:
    """The last user message is the question; earlier messages (system prompt, turns) become its context."""
    messages = request.messages
    last = max(i for i, m in enumerate(messages) if m.role == "user" and m.text.strip())
    earlier = [f"{m.role}: {m.text}" for m in messages[:last] if m.text.strip()]
    opts = request.assay
    question = messages[last].text
    from assay.agents.kind import detect_kind

    if opts.tests and opts.kind not in (None, "code"):
        raise InputError(f"assay.tests are unit tests: they need kind 'code', not {opts.kind!r}")
    kind: TaskKind = opts.kind or ("code" if opts.tests else detect_kind(question))
    try:
        return Task(question=question, kind=kind, tests=opts.tests, entry_point=opts.entry_point,
                    context="\n".join(earlier) or None, reference=opts.reference)  # fmt: skip
    except ValidationError as exc:
        raise InputError(f"invalid parameter 'assay': {exc.errors()[0]['msg']}") from None


def make_settings(base: Settings, request: ChatRequest) -> Settings:
    """The server's settings with the request's graph settings, ``temperature`` and ``max_tokens`` applied."""
    unknown = sorted(set(request.assay.settings) - TUNABLE)
    if unknown:
        raise InputError(f"assay.settings cannot set {', '.join(unknown)}; settable: {', '.join(sorted(TUNABLE))}")
    update = dict(request.assay.settings)
    if request.temperature is not None:
        update["temperature"] = request.temperature
    if (limit := request.max_completion_tokens or request.max_tokens) is not None:
        update["max_tokens"] = limit
    if not update:
        return base
    checked: dict[str, Any] = {}
    for name, value in update.items():
        try:
            checked[name] = _setting(name).validate_python(value)
        except ValidationError as exc:
            raise InputError(f"invalid setting {name}: {exc.errors()[0]['msg']}") from None
    if checked.get("max_tokens", MIN_SAMPLE_TOKENS) < MIN_SAMPLE_TOKENS:  # agents never draw shorter samples
        raise InputError(f"invalid parameter 'max_tokens': at least {MIN_SAMPLE_TOKENS} (got {checked['max_tokens']})")
    return base.updated(checked)  # a request's temperature holds for every kind


@functools.cache
def _setting(name: str) -> TypeAdapter[Any]:
    """A validator for one settings field with its constraints (re-validating all of ``Settings`` would re-read
    the environment and the TOML file: ~40 ms a request)."""
    info = Settings.model_fields[name]
    annotated: Any = Annotated[info.annotation, info]
    return TypeAdapter(annotated)


def make_budget(base: Budget, request: ChatRequest) -> Budget:
    unknown = sorted(set(request.assay.budget) - set(Budget.model_fields))
    if unknown:
        raise InputError(f"assay.budget cannot set {', '.join(unknown)}; settable: {', '.join(Budget.model_fields)}")
    try:
        return Budget.model_validate({**base.model_dump(), **request.assay.budget})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"invalid budget {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
