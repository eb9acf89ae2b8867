"""Usage accounting of one client: lifetime totals and per-run tallies (``track``), kept apart from transport.

The lifetime totals are plain ints (every call adds to them, so they must be cheap); tallies are ``Usage``
models handed to the caller, registered in a context variable so that concurrent runs stay separate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from assay.llm.types import Usage


class UsageMeter:
    """Counts calls and tokens: ``add`` after each reply, ``total`` for a snapshot, ``track`` for one run."""

    def __init__(self, name: str) -> None:
        self._calls = self._prompt_tokens = self._completion_tokens = self._sequence_prompt_tokens = 0
        self._tracks: ContextVar[tuple[Usage, ...]] = ContextVar(name, default=())

    def add(self, usage: Usage) -> None:
        self._calls += usage.calls
        self._prompt_tokens += usage.prompt_tokens
        self._completion_tokens += usage.completion_tokens
        self._sequence_prompt_tokens += usage.sequence_prompt_tokens
        for tally in self._tracks.get():
            tally.calls += usage.calls
            tally.prompt_tokens += usage.prompt_tokens
            tally.completion_tokens += usage.completion_tokens
            tally.sequence_prompt_tokens += usage.sequence_prompt_tokens

    @property
    def total(self) -> Usage:
        """Totals since the meter was made (a snapshot)."""
        return Usage(calls=self._calls, prompt_tokens=self._prompt_tokens, completion_tokens=self._completion_tokens,
                     sequence_prompt_tokens=self._sequence_prompt_tokens)  # fmt: skip

    @contextmanager
    def track(self) -> Iterator[Usage]:
        """Calls counted inside the ``with`` block (same asyncio context) add to the yielded Usage.

        Tasks started inside the block inherit it; nested blocks all count; concurrent runs stay separate.
        """
        usage = Usage()
        token = self._tracks.set((*self._tracks.get(), usage))
        try:
            yield usage
        finally:
            try:
                self._tracks.reset(token)
            except ValueError:  # exited in another context (e.g. an async generator closed elsewhere)
                self._tracks.set(tuple(u for u in self._tracks.get() if u is not usage))
