"""Per-call deadlines: cap every model call made inside a block by the time a run has left.

``call_deadline(seconds)`` is a context manager (sync ``with``; it is a plain ``contextvars`` value, so asyncio
tasks started inside inherit it). Every ``LLMClient`` call inside it gives up, with one ``LLMTimeout`` line,
when the block's time is spent, retries and backoff included. Nested blocks keep the earliest deadline::

    with call_deadline(budget.seconds_left):
        completion = await ctx.llm.chat(messages)

Without a block, a call is bounded by the client's own ``timeout_s`` (all attempts together).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from assay.errors import LLMTimeout

__all__ = ["call_deadline", "current_cap", "deadline_left"]

_DEADLINE: ContextVar[float | None] = ContextVar("assay_llm_deadline", default=None)


@contextmanager
def call_deadline(seconds: float | None) -> Iterator[float | None]:
    """Calls inside the block end by ``now + seconds`` (``None``: no extra cap). Yields the absolute deadline."""
    if seconds is None:
        yield _DEADLINE.get()
        return
    at = time.monotonic() + max(0.0, seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(outer, at))
    try:
        yield _DEADLINE.get()
    finally:
        _DEADLINE.reset(token)


def deadline_left() -> float | None:
    """Seconds left in the innermost ``call_deadline`` block, or ``None`` outside any."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def current_cap() -> float | None:
    """The innermost block's absolute (``time.monotonic``) deadline, or ``None`` outside any block.

    Raises ``LLMTimeout`` at once when that time is already spent (no request is sent).
    """
    at = _DEADLINE.get()
    if at is not None and at <= time.monotonic():
        raise LLMTimeout("the run's time budget is spent: no time left for another model call")
    return at
