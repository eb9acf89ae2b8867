"""Retry policy: exponential backoff with jitter, bounded attempts, ``Retry-After`` honoured.

Only transient failures are retried (connect errors, timeouts, 429, 5xx); they reach this module wrapped in
``Retryable``. Everything else propagates at once. The first attempt runs without tenacity: building an
``AsyncRetrying`` costs about 30 µs, a tenth of a local request, and almost every call succeeds first time.

All attempts of one call share one deadline (``timeout_s``, capped by ``assay.llm.deadline.call_deadline``):
a server that accepts requests and never answers holds a call for ``timeout_s``, not ``attempts x timeout_s``.
When the attempts are spent, a ``Supervisor`` (embedded servers only) may restart a dead or wedged server;
the call then gets one more round of attempts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, stop_any
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential, wait_random

from assay.errors import LLMError, LLMTimeout
from assay.llm.deadline import current_cap

T = TypeVar("T")

RETRY_AFTER_CAP_S = 30.0
_backoff = wait_exponential(multiplier=0.5, max=8.0) + wait_random(0.0, 0.5)


class Retryable(Exception):
    """A transient failure: ``error`` is raised to the caller once the attempts are used up."""

    def __init__(self, error: LLMError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


async def _sleep(seconds: float) -> None:
    """Module-level so tests can replace it and check the waits without waiting."""
    await asyncio.sleep(seconds)


def _wait(state: RetryCallState) -> float:
    """The server's ``Retry-After`` when it sent one (capped), else exponential backoff with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, Retryable) and exc.retry_after is not None:
        return min(max(exc.retry_after, 0.0), RETRY_AFTER_CAP_S)
    return float(_backoff(state))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; HTTP dates and junk are ignored (plain backoff then)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


async def call_with_retries(attempt: Callable[[], Awaitable[T]], max_attempts: int, deadline: float | None = None) -> T:
    """Run ``attempt`` up to ``max_attempts`` times; raise the last typed ``LLMError`` when all fail."""
    try:
        return await attempt()
    except Retryable as exc:
        return await retry_after_failure(exc, attempt, max_attempts, deadline)


class _Past(stop_base):
    """Stop when the next backoff would end after ``deadline`` (``time.monotonic`` clock)."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline

    def __call__(self, state: RetryCallState) -> bool:
        return self.deadline is not None and time.monotonic() + (state.upcoming_sleep or 0.0) >= self.deadline


async def retry_after_failure(
    first: Retryable, attempt: Callable[[], Awaitable[T]], max_attempts: int, deadline: float | None = None
) -> T:
    """The slow path, once a first attempt has failed transiently: tenacity runs the remaining attempts."""
    if max_attempts <= 1 or _Past(deadline)(_NO_WAIT):
        raise first.error from None
    pending: Retryable | None = first

    async def replay_then_attempt() -> T:
        # Tenacity sees the first (already failed) attempt replayed, so its wait and stop logic stay whole.
        nonlocal pending
        if pending is not None:
            failed, pending = pending, None
            raise failed
        return await attempt()

    retrying = AsyncRetrying(
        sleep=_sleep,
        stop=stop_any(stop_after_attempt(max_attempts), _Past(deadline)),
        wait=_wait,
        retry=retry_if_exception_type(Retryable),
        reraise=True,
    )
    try:
        return await retrying(replay_then_attempt)
    except Retryable as exc:
        raise exc.error from None


class _NoWait:
    upcoming_sleep = 0.0


_NO_WAIT: RetryCallState = _NoWait()  # type: ignore[assignment]


class Supervisor(Protocol):
    """Restarts a dead or wedged embedded server (``assay.llm.supervise``); external endpoints have none."""

    async def recover(self, error: LLMError, since: float) -> bool:
        """True when the server was restarted after ``since`` (so the call is worth one more round)."""
        ...


@dataclass(frozen=True)
class Policy:
    """How long one call may take (all attempts), how many attempts, and who may restart the server."""

    max_attempts: int
    timeout_s: float
    connect_timeout_s: float
    supervisor: Supervisor | None = None

    def deadline(self, start: float) -> float:
        cap = current_cap()
        own = start + self.timeout_s
        return own if cap is None else min(own, cap)

    def first_timeout(self) -> httpx.Timeout | None:
        """The first attempt's timeout: the client default, unless a ``call_deadline`` block leaves less time."""
        cap = current_cap()
        return None if cap is None or cap - time.monotonic() >= self.timeout_s else self.attempt_timeout(cap)

    async def notice(self, error: LLMError, since: float) -> None:
        """A failure that cannot be retried (mid-stream): let the supervisor restart a dead server for later calls."""
        if self.supervisor is not None:
            await self.supervisor.recover(error, since)

    def attempt_timeout(self, deadline: float) -> httpx.Timeout:
        """The httpx timeout of one attempt that must end by ``deadline``; ``LLMTimeout`` when none is left."""
        left = deadline - time.monotonic()
        if left <= 0.0:
            raise LLMTimeout(f"no time left for another attempt (all attempts of a call share {self.timeout_s:g}s)")
        return httpx.Timeout(left, connect=min(self.connect_timeout_s, left))


async def run_attempts(first: Retryable, attempt: Callable[[float], Awaitable[T]], policy: Policy, start: float) -> T:
    """After a failed first attempt: retries until ``policy``'s deadline, then one more round after a restart."""
    deadline = policy.deadline(start)
    try:
        return await retry_after_failure(first, lambda: attempt(deadline), policy.max_attempts, deadline)
    except LLMError as exc:
        if policy.supervisor is None or not await policy.supervisor.recover(exc, start):
            raise
    deadline = policy.deadline(time.monotonic())
    return await call_with_retries(lambda: attempt(deadline), policy.max_attempts, deadline)
