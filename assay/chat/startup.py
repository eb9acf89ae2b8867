"""First contact: make sure the model servers answer before the first question, saying what happens.

This is what ``assay up`` does (``ensure_up``: reuse healthy servers, else provision vLLM and convert the
models on first use, then start them), with its messages and per-server progress sent to the chat view
instead of failing with "connection refused" on the first question.
"""

from __future__ import annotations

from collections.abc import Callable

from assay.errors import AssayError
from assay.llm.models import resolve_endpoint
from assay.llm.server import Progress, Report, ensure_up
from assay.settings import Settings

Ensure = Callable[[Report, Progress], str]
JUDGE = "smollm2-judge"


def server_names(settings: Settings) -> list[str]:
    """The generator chosen with ``--model`` and the yes/no judge, as ``assay up`` starts them."""
    return [settings.model, *([] if settings.judge_url or settings.model == JUDGE else [JUDGE])]


def progress_line(states: dict[str, str]) -> str:
    return "  ".join(f"{name}: {state}" for name, state in states.items())


def generator_model(settings: Settings) -> str:
    """The model the runs will use: the endpoint's (``--model``, or the latest-started generator)."""
    try:
        endpoint = resolve_endpoint(settings, "generator")
    except AssayError:
        return settings.model
    return endpoint.model if endpoint else settings.model


def make_ensure(settings: Settings) -> Ensure:
    """A blocking call (run it in a thread) that brings the servers up and returns a one-line summary.

    Without ``--model``, a generator that is already running (any model) is used as ``assay run`` would;
    only when none runs, or the one asked for does not, are servers started."""

    def ensure(report: Report, progress: Progress) -> str:
        if settings.base_url:
            return f"using the endpoint {settings.base_url}"
        if "model" not in settings.model_fields_set:
            try:
                running = resolve_endpoint(settings, "generator")
            except AssayError:
                running = None
            if running is not None:
                return f"using {running.model} at {', '.join(running.base_urls)}"
        result = ensure_up(settings, server_names(settings), report=report, progress=progress)
        parts = [f"{r.name} {'started' if r in result.started else 'running'}" for r in result.records]
        return f"servers ready in {result.seconds:.1f}s: " + ", ".join(parts)

    return ensure
