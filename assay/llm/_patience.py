"""Patience with a busy server: a call past ``timeout_s`` keeps waiting while the server keeps counting tokens.

Under assay's own load (40 and more requests in flight on a 2-core CPU server) a healthy engine can need more
than ``timeout_s`` to answer one non-streamed call. Failing the call there throws its work away, and a retry
puts the request back at the end of the queue. So once ``timeout_s`` has passed, the call looks at the
server's ``/metrics`` once per ``window_s``. It keeps waiting while the token counters moved in the last window,
up to ``max_wait_s`` after the call began (never past a ``call_deadline``). A server that counted no token
for a whole window, or has no ``/metrics`` to tell, fails the call with ``LLMTimeout`` as before; an embedded
server's supervisor then checks whether it is wedged (``assay.llm.supervise``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from assay.errors import LLMTimeout
from assay.llm._retry import Retryable

T = TypeVar("T")
Probe = Callable[[], Awaitable[float | None]]  # tokens the server has counted so far, or None: cannot tell
WINDOW_S = 30.0


@dataclass(frozen=True)
class Patience:
    """How long a call may wait past ``timeout_s`` (``max_wait_s`` in all) and how often it checks progress."""

    max_wait_s: float
    window_s: float = WINDOW_S

    def hard_end(self, began: float, cap: float | None) -> float:
        """The latest a call that began at ``began`` may end (``time.monotonic`` clock)."""
        end = began + self.max_wait_s
        return end if cap is None else min(end, cap)

    async def wait(
        self, send: Callable[[httpx.Timeout], Awaitable[T]], soft_end: float, hard_end: float,
        connect_s: float, probe: Probe, where: str,
    ) -> T:  # fmt: skip
        """``send`` one attempt with a timeout of ``hard_end``; past ``soft_end`` it lives only while ``probe``
        counts more tokens each window. ``Retryable(LLMTimeout)`` when the server stopped counting."""
        now = time.monotonic()
        if hard_end <= soft_end:
            return await send(httpx.Timeout(max(0.0, soft_end - now), connect=connect_s))
        watch = self.extender(probe, hard_end)
        try:
            return await outlast(send(httpx.Timeout(hard_end - now, connect=connect_s)), soft_end, watch)
        except TimeoutError:
            raise Retryable(_stalled(where, watch.why)) from None

    def extender(self, probe: Probe, hard_end: float) -> Watch:
        """More time, one window at a time, while ``probe`` counts tokens (see ``Watch``)."""
        return Watch(probe, hard_end, self.window_s)


class Watch:
    """Grants one more window per call while ``probe`` counts more tokens than at the call before (the first
    call sets the baseline), never past ``hard_end``; None when it cannot, with the reason in ``why``."""

    def __init__(self, probe: Probe, hard_end: float, window_s: float) -> None:
        self.probe, self.hard_end, self.window_s = probe, hard_end, window_s
        self.counted: float | None = None
        self.why = ""

    async def __call__(self) -> float | None:
        latest = await self.probe()
        if latest is None:
            self.why = "has no /metrics that shows progress"
        elif latest == self.counted:
            self.why = f"counted no token for {self.window_s:g}s"
        elif (end := min(time.monotonic() + self.window_s, self.hard_end)) <= time.monotonic():
            self.why = "kept counting tokens past ASSAY_MAX_WAIT_S"
        else:
            self.counted = latest
            return end
        return None


async def outlast(work: Awaitable[T], limit: float | None, extend: Callable[[], Awaitable[float | None]] | None) -> T:
    """``work`` done by ``limit`` (``time.monotonic``), or by a later time ``extend`` grants; ``TimeoutError``
    otherwise. ``work`` runs as a task of its own, so a wait that goes on loses nothing of it."""
    pending = asyncio.ensure_future(work)
    try:
        while True:
            left = None if limit is None else max(0.0, limit - time.monotonic())
            done, _ = await asyncio.wait({pending}, timeout=left)
            if done:
                return pending.result()
            limit = await extend() if extend is not None else None
            if limit is None:
                raise TimeoutError
    finally:
        if not pending.done():
            pending.cancel()
            await asyncio.wait({pending})
        if not pending.cancelled():
            pending.exception()  # retrieved: a call given up on must not log "Task exception was never retrieved"


def _stalled(where: str, why: str) -> LLMTimeout:
    return LLMTimeout(
        f"the model server at {where} did not answer in time and {why}; raise ASSAY_TIMEOUT_S if it is busy"
    )
