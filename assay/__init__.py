"""assay: multi-agent LLM applications as typed state graphs, routed on measured signals.

The public API is flat (like httpx): ``assay.run``, ``assay.build_graph``, ``assay.Settings``, ``assay.LLMClient``,
the state models and the errors. The scripted fake backend for tests lives in ``assay.testing``.
"""

from __future__ import annotations

from assay.context import Retriever, RunContext
from assay.errors import (
    AssayError,
    CheckpointError,
    InputError,
    LLMError,
    LLMHTTPError,
    LLMTimeout,
    MalformedResponse,
    SandboxError,
    ServerDied,
    ServerError,
    ServerUnavailable,
    SettingsError,
    UnknownModel,
)
from assay.graphs.registry import add_recipe, build_graph, graph_names, register_graph
from assay.kit import Recipe
from assay.llm.client import LLMClient
from assay.llm.deadline import call_deadline
from assay.llm.models import Endpoint, make_clients, register_model, resolve_endpoint
from assay.llm.types import Completion, Message, PromptScore, StreamChunk, TokenLogprob, Usage
from assay.runtime import run
from assay.settings import Settings, load_settings
from assay.state import Budget, Candidate, Evidence, Flips, Review, Route, RunState, Scores, Task, TaskKind

__version__ = "0.1.0"

__all__ = [
    "AssayError",
    "Budget",
    "Candidate",
    "CheckpointError",
    "Completion",
    "Endpoint",
    "Evidence",
    "Flips",
    "InputError",
    "LLMClient",
    "LLMError",
    "LLMHTTPError",
    "LLMTimeout",
    "MalformedResponse",
    "Message",
    "PromptScore",
    "Recipe",
    "Retriever",
    "Review",
    "Route",
    "RunContext",
    "RunState",
    "SandboxError",
    "Scores",
    "ServerDied",
    "ServerError",
    "ServerUnavailable",
    "Settings",
    "SettingsError",
    "StreamChunk",
    "Task",
    "TaskKind",
    "TokenLogprob",
    "UnknownModel",
    "Usage",
    "__version__",
    "add_recipe",
    "build_graph",
    "call_deadline",
    "graph_names",
    "load_settings",
    "make_clients",
    "register_graph",
    "register_model",
    "resolve_endpoint",
    "run",
]
