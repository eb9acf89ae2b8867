"""Fault-injection suite: no developer ASSAY_* environment, a private home, backoff waits recorded (not slept)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assay.llm import _retry


@pytest.fixture(autouse=True)
def _isolated_assay_env(isolated_assay_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSAY_CONFIG", str(isolated_assay_env / "no-such.toml"))
    return isolated_assay_env


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps are recorded and shortened to 10 ms (the schedule is checked, the suite stays fast)."""
    slept: list[float] = []

    async def short_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0.01)

    monkeypatch.setattr(_retry, "_sleep", short_sleep)
    return slept
