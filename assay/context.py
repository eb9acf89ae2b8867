"""Run-time dependencies handed to every node: settings, model clients and tools.

Nodes are plain async functions ``(state: RunState, ctx: RunContext) -> dict`` so they are easy to test;
the graph builders pass the context through LangGraph's runtime context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.llm.client import LLMClient
from assay.settings import Settings
from assay.tools.types import Retriever as Retriever  # defined with the tools, which must not import context


@dataclass
class RunContext:
    """Shared by all runs of a process: one client per endpoint (bounded pool), tools, prompt overrides."""

    settings: Settings
    llm: LLMClient
    judge: LLMClient | None = None  # /classify reward server; None: judge from the generator's logprobs
    embedder: LLMClient | None = None
    retriever: Retriever | None = None
    prompts: dict[str, str] = field(default_factory=dict)  # overrides, keyed "<agent>.<name>"
