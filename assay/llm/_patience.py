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
        attempt = asyncio.ensure_future(send(httpx.Timeout(hard_end - now, connect=connect_s)))
        try:
            done, _ = await asyncio.wait({attempt}, timeout=max(0.0, soft_end - now))
            counted = None if done else await probe()
            while not done:
                if counted is None:
                    raise Retryable(_stalled(where, "has no /metrics that shows progress"))
                done, _ = await asyncio.wait({attempt}, timeout=self.window_s)
                if done:
                    break
                latest = await probe()
                if latest == counted:
                    raise Retryable(_stalled(where, f"counted no token for {self.window_s:g}s"))
                counted = latest
            return attempt.result()
        finally:
            if not attempt.done():
                attempt.cancel()
                await asyncio.wait({attempt})

    def extender(self, probe: Probe, hard_end: float) -> Callable[[], Awaitable[float | None]]:
        """For a stream's first token: each call, once its deadline has passed, grants one more window while
        ``probe`` counts more tokens than at the call before (the first call sets the baseline), never past
        ``hard_end``; None when the server stopped counting or the time is spent."""
        counted: list[float | None] = []

        async def extend() -> float | None:
            latest = await probe()
            if latest is None or (counted and counted[-1] == latest):
                return None
            counted.append(latest)
            end = min(time.monotonic() + self.window_s, hard_end)
            return end if end > time.monotonic() else None

        return extend


def _stalled(where: str, why: str) -> LLMTimeout:
    return LLMTimeout(
        f"the model server at {where} did not answer in time and {why}; raise ASSAY_TIMEOUT_S if it is busy"
    )
